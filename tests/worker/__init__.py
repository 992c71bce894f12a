"""Tests of the worker: real RQ jobs, the periodic passes, old job paths."""
