"""The public archive of published polls (/polls/) and its cached pages."""
