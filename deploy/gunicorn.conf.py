"""Production gunicorn settings: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment, so one file serves all hosts.
"""

import multiprocessing
import os

import gunicorn.http.wsgi

# gunicorn names itself ("Server: gunicorn") on every response and has no setting for
# it; each response reads this module value. Tell a scanner nothing about the software.
gunicorn.http.wsgi.SERVER = "polls_site"

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Threaded workers keep connections alive: a sync worker closes each one, and on the
# widgets' small requests setting up a new connection cost as much as the request
# (bench/load.py on 2 cores: 521 results polls + 246 votes a second with sync workers,
# 999 + 283 with these). The test suite's live servers run the same way.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# A widget request that takes this long is stuck: recycle the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM, finish the requests in flight for up to this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so that slow leaks cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# Which proxies may set X-Forwarded-Proto (the app's TRUSTED_PROXY_COUNT handles
# X-Forwarded-For through ProxyFix).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No access log by default: the app's JSON request log has what operations need, without
# client addresses (docs/privacy.md). GUNICORN_ACCESS_LOG=- (or a path) turns one on, in a
# format without the address, the query string, Referer and User-Agent, which can carry
# names and search terms (/staff/privacy?name=..., /staff/comments?q=...).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def on_starting(server) -> None:
    """Drop the metric samples of processes that are gone (the workers of this host share
    the directory and keep theirs) and, when REDIS_URL is unset, start the embedded Redis
    owned by this master process."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        from polls_site.core.metrics_files import remove_dead_process_files

        remove_dead_process_files(folder)
    if not os.environ.get("REDIS_URL"):
        # Started here, not by whichever worker imports the app first: a worker that is
        # recycled (max_requests, a crash) would take the server down with it. Workers
        # are forked from this process and inherit REDIS_URL.
        from polls_site.config import instance_path
        from polls_site.core.embedded_redis import ensure_embedded_redis

        os.environ["REDIS_URL"] = ensure_embedded_redis(instance_path())


def child_exit(server, worker) -> None:
    """Let a dead worker's samples stop counting towards live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
