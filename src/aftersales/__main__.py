"""`python -m aftersales` runs the same CLI as the `aftersales` command."""

from aftersales.cli.main import app

app()
