"""What the test modules share, in one place, so that no test module imports another (fixtures
stay in tests/conftest.py, where pytest finds them by name)."""
