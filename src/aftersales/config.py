"""One typed Settings object: AFTERSALES_* environment variables over an optional TOML file over defaults."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from aftersales.errors import ConfigError

ENV_PREFIX = "AFTERSALES_"


def _default_home() -> Path:
    """Home directory used when AFTERSALES_HOME is unset."""
    return Path(os.path.expanduser("~/.aftersales"))


def config_file_path() -> Path:
    """Where the optional TOML file is looked for: AFTERSALES_CONFIG, else HOME/config.toml."""
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get(f"{ENV_PREFIX}HOME")
    return (Path(home).expanduser() if home else _default_home()) / "config.toml"


class Settings(BaseSettings):
    """Every knob of aftersales; each field is documented in docs/configuration.md (a test checks)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True)

    home: Path = Field(default_factory=_default_home, description="Data directory (database, reports, models).")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file `aftersales.db` under home (WAL mode).",
    )
    timezone: str = Field(default="Asia/Shanghai", description="IANA zone for naive timestamps and reports.")
    locale: Literal["zh-CN", "en"] = Field(default="zh-CN", description="Display language: zh-CN or en.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")
    ingest_batch_size: int = Field(
        default=50_000, ge=100, le=1_000_000, description="Rows per ingest transaction (one committed batch)."
    )
    mask_pii: bool = Field(
        default=True,
        description="Mask phone numbers, ID/bank cards, e-mails, addresses and names in free text before storing it.",
    )
    model_dir: Path | None = Field(
        default=None,
        description="Folder of trained analysis models (`aftersales train --out DIR`); default: the shipped models.",
    )
    auto_migrate: bool = Field(
        default=True,
        description="Apply Alembic migrations automatically when the database is empty or behind.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: explicit arguments, then environment, then the TOML file."""
        path = config_file_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def zone(self) -> ZoneInfo:
        """The configured timezone as a tzinfo."""
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside home."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'aftersales.db').as_posix()}"


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning validation failures into a ConfigError that names the bad field."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '?'}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"invalid settings ({config_file_path()} / {ENV_PREFIX}* env): {details}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return load_settings()
