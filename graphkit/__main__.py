"""`python -m graphkit` runs the CLI."""

from graphkit.cli.app import main

main()
