"""Tests of the public archive of polls."""
