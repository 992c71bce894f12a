"""Fault injection: the database, Redis and the worker failing under real load."""
