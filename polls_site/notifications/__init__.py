"""Notifications: readers' reply mail (double opt-in, sent only after approval) and the
moderators' mail digest and signed webhook. Everything is delivered by the worker on the
``notifications`` queue; see README "Notifications"."""
