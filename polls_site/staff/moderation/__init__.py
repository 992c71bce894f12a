"""The moderators' part of the staff area: the queue, decisions, search and word lists."""
