"""``python -m idconnect.cli``: the same as the ``idconnect`` command."""

from idconnect.cli import main

main()
