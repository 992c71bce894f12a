"""The read-only JSON API (polls, results, comment counts) and its OpenAPI description."""
