"""Benchmarks that print figures (see docs/performance.md). Run: python -m bench.<name>."""
