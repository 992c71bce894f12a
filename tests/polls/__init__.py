"""Tests of polls: the vote flow, counting, caches, the schedule, exports and analytics."""
