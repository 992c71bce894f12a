"""Tests with hostile input: CSRF, fuzzing, secrets, ballot stuffing and XSS."""
