"""The gateway overhead benchmark (issue 2); run with ``uv run python -m bench.overhead``."""
