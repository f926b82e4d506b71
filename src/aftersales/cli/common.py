"""Shared CLI plumbing: settings with --home, error rendering, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from aftersales.config import Settings, load_settings
from aftersales.errors import AftersalesError

console = Console()
err_console = Console(stderr=True)

# E1xx input files, E3xx policy/workflow rules and E4xx request errors (invalid, not found, conflict) are the
# caller's input: exit 2 like a usage error; E2xx is the database: 3; anything else: 1.
EXIT_CODES = {"E1": 2, "E2": 3, "E3": 2, "E4": 2}


def settings_for(home: Path | None = None) -> Settings:
    """Settings, with --home overriding AFTERSALES_HOME for this command."""
    return load_settings(home=home) if home else load_settings()


def print_json(obj: Any) -> None:
    """Exactly one JSON document on stdout, UTF-8, non-ASCII kept readable."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn domain errors into a one-line message and a non-zero exit code (2 input, 3 database, 1 other)."""
    try:
        yield
    except AftersalesError as exc:
        err_console.print(f"[bold red]error[/] [{exc.code}] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_CODES.get(exc.code[:2], 1)) from None
