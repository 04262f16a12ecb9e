"""Shared fixtures of the core tests (hypothesis' CI profile is set in the root conftest.py)."""

pytest_plugins = ["pytester"]
