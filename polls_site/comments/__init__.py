"""The comment widget: threads, posting, the author's view, likes, counts, feeds, moderation."""
