"""Polls: the widget, votes and their limits, recounts, the schedule, editing and analytics."""
