"""Benchmarks (performance.md): not tests. `python -m benchmarks` (or `make bench`) runs them,
prints a table of figure, floor, ratio and target, and writes benchmarks/results/latest.json.

Every figure is a ratio against a floor measured in the same run on the same machine."""
