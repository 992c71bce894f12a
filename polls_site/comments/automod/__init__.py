"""The auto-moderator: rules as data, the word matcher for Russian text, and their defaults."""
