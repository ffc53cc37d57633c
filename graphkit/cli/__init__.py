"""Command-line interface (Typer). See graphkit.cli.app."""
