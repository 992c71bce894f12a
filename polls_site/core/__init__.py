"""The platform layer: database, Redis, jobs plumbing, caches, headers, logs; no feature."""
