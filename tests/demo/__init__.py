"""Tests of the try-out: the demo data and the stand-in portal."""
