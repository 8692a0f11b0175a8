"""Benchmarks of what users feel. Run them all with `python -m bench` (see docs/benchmarks.md)."""
