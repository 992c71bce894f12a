"""The worker's own Redis client: idle, it waits in RQ's blocking dequeue without timing out."""

from __future__ import annotations

from flask import Flask
from rq import Queue, SimpleWorker

from polls_site.worker.run import worker_connection


def test_every_socket_outwaits_the_blocking_dequeue(app: Flask) -> None:
    connection = worker_connection(app.config)
    # The worker pings Redis before RQ adjusts the pool: that connection then carries
    # the blocking dequeue, so its own timeout is the one that counts.
    connection.ping()
    worker = SimpleWorker([Queue("idle", connection=connection)], connection=connection)
    made = list(connection.connection_pool._available_connections)
    assert made, "the ping's connection is back in the pool"
    for made_connection in made:
        timeout = made_connection.socket_timeout
        assert timeout is None or timeout > worker.dequeue_timeout, timeout
    assert connection.connection_pool.connection_kwargs["socket_timeout"] > worker.dequeue_timeout
    assert connection.connection_pool.connection_kwargs["health_check_interval"] > 0
    connection.close()
