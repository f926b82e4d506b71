"""Command-line interface: thin typer wrappers over aftersales.services."""
