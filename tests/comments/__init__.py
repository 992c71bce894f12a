"""Tests of comments: reading, posting, the author's view, likes, feeds, auto-moderation."""
