"""Tests of the public JSON API and its OpenAPI description."""
