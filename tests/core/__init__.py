"""Tests of the platform layer: settings, logs, metrics, caches, headers, migrations, CLI."""
