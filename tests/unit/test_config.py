"""Settings: defaults, precedence (args > env > TOML), validation, and documentation coverage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aftersales.config import ENV_PREFIX, Settings, load_settings
from aftersales.errors import ConfigError

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_defaults(tmp_path: Path) -> None:
    s = load_settings(home=tmp_path)
    assert s.timezone == "Asia/Shanghai" and s.locale == "zh-CN"
    assert s.resolved_database_url == f"sqlite:///{tmp_path.as_posix()}/aftersales.db"


def test_env_overrides_toml_and_args_override_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.toml").write_text('locale = "en"\ntimezone = "Europe/London"\n', encoding="utf-8")
    monkeypatch.setenv("AFTERSALES_HOME", str(tmp_path))
    assert load_settings().locale == "en"
    monkeypatch.setenv("AFTERSALES_TIMEZONE", "UTC")
    assert load_settings().timezone == "UTC"
    assert load_settings(timezone="Asia/Tokyo").timezone == "Asia/Tokyo"


def test_explicit_config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text("ingest_batch_size = 1234\n", encoding="utf-8")
    monkeypatch.setenv("AFTERSALES_CONFIG", str(cfg))
    assert load_settings().ingest_batch_size == 1234


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("timezone", "Mars/Olympus", "unknown IANA timezone"),
        ("locale", "fr", "locale"),
        ("ingest_batch_size", 5, "ingest_batch_size"),
    ],
)
def test_invalid_values_name_the_field(field: str, value: object, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_settings(**{field: value})


def test_unknown_toml_key_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.toml").write_text("databse_url = 'x'\n", encoding="utf-8")
    monkeypatch.setenv("AFTERSALES_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match="databse_url"):
        load_settings()


def test_every_setting_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(AFTERSALES_[A-Z_]+)`", text))
    for name in Settings.model_fields:
        assert f"{ENV_PREFIX}{name.upper()}" in documented, f"{name} missing from docs/configuration.md"
        assert f"`{name}`" in text


def test_an_explicit_home_reads_its_own_config_toml(tmp_path: Path) -> None:
    """`--home DIR` means DIR/config.toml, exactly as AFTERSALES_HOME=DIR does."""
    (tmp_path / "config.toml").write_text('locale = "en"\nchurn_horizon_days = 60\n', encoding="utf-8")
    settings = load_settings(home=tmp_path)
    assert (settings.locale, settings.churn_horizon_days) == ("en", 60)
