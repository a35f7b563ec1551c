"""Benchmarks: one script per figure; `make bench` runs them all and appends to RESULTS.md."""
