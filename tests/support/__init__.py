"""Shared test helpers, loaded as pytest plugins by tests/conftest.py."""
