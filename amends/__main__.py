"""``python -m amends`` runs the CLI."""

from amends.cli import main

main()
