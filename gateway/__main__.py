"""``python -m gateway`` is the ``kakehashi`` command."""

from gateway.cli import main

main()
