"""Shared fixtures: isolated settings on a temp SQLite file, and a fresh PostgreSQL database when configured."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from aftersales.config import Settings, load_settings
from aftersales.storage import db

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("AFTERSALES_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's ~/.aftersales or AFTERSALES_* variables by accident."""
    for key in list(os.environ):
        if key.startswith("AFTERSALES_") and key not in (
            "AFTERSALES_TEST_DATABASE_URL",
            "AFTERSALES_SHARED_DATA",
            "AFTERSALES_TEST_DEMO_CACHE",
        ):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AFTERSALES_HOME", str(tmp_path / "default-home"))
    yield
    db.dispose_engines()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh SQLite database in a temp home."""
    home = tmp_path / "home"
    return load_settings(home=home)


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings on a brand-new PostgreSQL database (skips when AFTERSALES_TEST_DATABASE_URL is unset)."""
    base = os.environ.get("AFTERSALES_TEST_DATABASE_URL")
    if not base:
        pytest.skip("AFTERSALES_TEST_DATABASE_URL not set (PostgreSQL tests run in CI)")
    url = make_url(base)
    name = f"as_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield load_settings(home=tmp_path / "home", database_url=url.set(database=name).render_as_string(False))
    finally:
        db.dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_settings(request: pytest.FixtureRequest) -> Settings:
    """Runs a test once on SQLite and once on real PostgreSQL (when available)."""
    if request.param == "sqlite":
        return request.getfixturevalue("settings")  # type: ignore[no-any-return]
    return request.getfixturevalue("pg_settings")  # type: ignore[no-any-return]


def shared_data(*parts: str) -> Path:
    """Path under ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


DEMO_END = dt.date(2026, 10, 31)
"""The fixed last day of the shared demo data set (so 2026-10 is its last full month)."""


@dataclass(frozen=True)
class DemoHome:
    """A fully built demo merchant (ingested, analysed, triaged, churn model trained) and its planted truths."""

    settings: Settings
    truths: dict[str, Any]


def _build_demo_home(home: Path) -> None:
    from aftersales.demo import build_demo

    build_demo(load_settings(home=home), seed=42, end=DEMO_END)
    (home / ".built").write_text("seed=42 end=" + DEMO_END.isoformat() + "\n", encoding="utf-8")
    db.dispose_engines()


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    """The default-size demo (seed 42, ends 2026-10-31), built once per session (~30 s) on SQLite.

    Tests may add rows (actions, replies) but must not rely on others not doing so. For quicker local runs set
    AFTERSALES_TEST_DEMO_CACHE=DIR: the demo is built there once and copied for each session.
    """
    import json

    home = tmp_path_factory.mktemp("demo") / "home"
    cache = os.environ.get("AFTERSALES_TEST_DEMO_CACHE")
    if cache:
        cached = Path(cache)
        if not (cached / ".built").exists():
            shutil.rmtree(cached, ignore_errors=True)
            _build_demo_home(cached)
        shutil.copytree(cached, home)
    else:
        _build_demo_home(home)
    truths = json.loads((home / "demo" / "truths.json").read_text(encoding="utf-8"))
    return DemoHome(settings=load_settings(home=home), truths=truths)
