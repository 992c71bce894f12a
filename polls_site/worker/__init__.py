"""The RQ worker process: the only layer that knows every feature's jobs."""
