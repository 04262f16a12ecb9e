"""The ``idconnect`` command-line tool for support desks (click + rich).

Run ``idconnect --help``; the entry point is :func:`main`.
"""

from idconnect.cli.app import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Run the ``idconnect`` command (the console script's entry point)."""
    cli(prog_name="idconnect")
