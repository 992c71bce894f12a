"""Tests of the staff area: login, accounts, audit, the moderation queue and the poll editor."""
