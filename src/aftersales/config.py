"""One typed Settings object: AFTERSALES_* environment variables over an optional TOML file over defaults."""

from __future__ import annotations

import datetime
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
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


class WebhookConfig(BaseModel):
    """One notification webhook: a chat robot (wecom/dingtalk/feishu/slack) or a generic JSON endpoint."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["wecom", "dingtalk", "feishu", "slack", "generic"]
    url: str = Field(pattern=r"^https?://", description="The robot's webhook URL, token included.")
    secret: SecretStr | None = Field(
        default=None, description="Signing secret (dingtalk 加签, feishu 签名校验, generic)."
    )
    timeout: float = Field(default=5, gt=0, le=60, description="Seconds before a delivery attempt fails.")


class PromotionWindowConfig(BaseModel):
    """One promotion/holiday window for insights baselines (docs/insights.md): name and inclusive local dates."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=32, description="Display name, e.g. 618, 双11, 店庆.")
    start: datetime.date = Field(description="First local date of the window.")
    end: datetime.date = Field(description="Last local date of the window (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> PromotionWindowConfig:
        if self.end < self.start:
            raise ValueError(f"promotion window {self.name!r}: end {self.end} is before start {self.start}")
        return self


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
    policy_path: Path | None = Field(
        default=None,
        description="Triage policy YAML (docs/policy.md); default: the shipped policy.",
    )
    churn_horizon_days: int = Field(
        default=90,
        ge=7,
        le=730,
        description="A customer counts as churned with no order for this many days after a case.",
    )

    # Notification delivery (docs/workflow.md): an "email" sender when smtp_host is set, plus one per webhook.
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail notifications; unset: no e-mail.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port: 25 relay, 587 STARTTLS, 465 SSL.")
    smtp_sender: str | None = Field(
        default=None, description='From address, e.g. "售后通知 <noreply@example.com>"; required with smtp_host.'
    )
    smtp_username: str | None = Field(default=None, description="SMTP login user; unset: no login.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP login password (or app password).")
    smtp_starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS (port 587).")
    smtp_ssl: bool = Field(default=False, description="Implicit TLS from the first byte (port 465).")
    smtp_timeout: float = Field(default=10, gt=0, le=120, description="Seconds before an SMTP attempt fails.")
    webhooks: dict[str, WebhookConfig] = Field(
        default_factory=dict,
        description="Named chat-robot / HTTP notification targets: name → {kind, url, secret, timeout}.",
    )
    survey_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="Link of the CSAT/NPS follow-up survey sent after a case is resolved; {case_id} is filled in. "
        "Unset: no survey e-mail is sent (the follow-up date is still recorded).",
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs the web app's session cookies; unset: generated once into HOME/secret_key (mode 600).",
    )

    kpi_targets: dict[str, float] = Field(
        default_factory=dict,
        description="Per-KPI target overrides, KPI name → value (docs/kpis.md); unset KPIs keep the registry default.",
    )
    kpi_processes_from_mb: int = Field(
        default=256,
        ge=0,
        description="SQLite files at least this large (MiB) run the KPI statements side by side in worker processes, "
        "started once per process (threads do not run SQLite statements in parallel; docs/benchmarks.md); smaller "
        "ones use threads, which start instantly. 0: always processes.",
    )
    dashboard_cache_seconds: int = Field(
        default=60,
        ge=0,
        le=3600,
        description="How long the dashboard keeps its KPI cards and anomaly panel per filter set (0: no cache).",
    )

    promotion_calendar: list[PromotionWindowConfig] = Field(
        default_factory=list,
        description="Extra promotion windows [{name, start, end}] for insights; one named like a built-in (618, 双11, "
        "双12, 年货节, 春节) replaces that built-in in its year.",
    )
    promotion_builtin: bool = Field(
        default=True, description="Use the built-in 年货节/春节/618/双11/双12 windows in insights baselines."
    )

    # Optional paraphrase for `aftersales ask` (docs/ask.md): never required, used only when the parser refuses.
    ask_llm_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="Base URL of an OpenAI-compatible API (…/v1) that rewrites refused questions; unset: offline only.",
    )
    ask_llm_model: str = Field(default="gpt-4o-mini", min_length=1, description="Model name sent to ask_llm_url.")
    ask_llm_api_key: SecretStr | None = Field(default=None, description="Bearer key for ask_llm_url; unset: none sent.")
    ask_llm_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Give up on the paraphrase endpoint after this long (then refuse)."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @field_validator("kpi_targets")
    @classmethod
    def _known_kpis(cls, value: dict[str, float]) -> dict[str, float]:
        # Imported here: analytics modules may import config, and config must stay importable first.
        from aftersales.analytics.kpis import KPIS, unknown_kpis

        unknown = unknown_kpis(value)
        if unknown:
            raise ValueError(f"unknown KPI {unknown[0]!r} in kpi_targets; known KPIs: {', '.join(KPIS)}")
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
        """Precedence: explicit arguments, then environment, then the TOML file (of an explicit `home` too)."""
        path = config_file_path()
        explicit_home = getattr(init_settings, "init_kwargs", {}).get("home")
        if explicit_home is not None and not os.environ.get(f"{ENV_PREFIX}CONFIG"):
            # `--home DIR` means DIR/config.toml, as AFTERSALES_HOME=DIR would.
            path = Path(explicit_home).expanduser() / "config.toml"
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
