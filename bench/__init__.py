"""Benchmarks of the panel: `python -m bench <name>` (see bench/__main__.py)."""
