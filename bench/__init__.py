"""Benchmarks: `python -m bench` (`make bench`); see README "Benchmarks"."""
