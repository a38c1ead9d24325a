"""TOML configuration: `${VAR}` expansion, then validation into frozen settings.

Every problem becomes one `ConfigError` naming the key (`providers[1].base_url`), so that
start-up can stop with one clear line instead of a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gateway.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ACCOUNT_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    """`[server]`: where the gateway listens and how pages are sized."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    graphiql: bool = True
    default_page_size: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=100, ge=1)
    default_window_days: int = Field(default=30, ge=1)
    cors_origins: tuple[str, ...] = ()
    shutdown_grace_seconds: float = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _default_fits_max(self) -> ServerSettings:
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        return self


class SecuritySettings(_Section):
    """`[security]`: the HMAC key that signs cursors; replicas must share it."""

    cursor_secret: str = Field(min_length=16)


class CacheSettings(_Section):
    """`[cache]`: where upstream pages are kept between GraphQL pages."""

    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    ttl_seconds: float = Field(default=30, ge=0)


class LimitSettings(_Section):
    """`[limits]`: how much one request may ask of the gateway and of the providers."""

    max_body_bytes: int = Field(default=65536, ge=1)
    max_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=10, ge=1)
    max_tokens: int = Field(default=2000, ge=1)
    max_cost: int = Field(default=2000, ge=1)
    max_stats_calls: int = Field(default=200, ge=1)
    """Upstream calls (provider pages) one `smsRecordStats` may make per account."""


class _ProviderSettings(_Section):
    """What every account has: where it is, and how hard the gateway tries it."""

    name: str = Field(pattern=_ACCOUNT_NAME)
    base_url: AnyHttpUrl
    timeout_seconds: float = Field(default=10, gt=0)
    connect_timeout_seconds: float = Field(default=3, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    retry_backoff_seconds: float = Field(default=0.2, ge=0)
    retry_backoff_max_seconds: float = Field(default=2, ge=0)
    retry_after_max_seconds: float = Field(default=5, ge=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cooldown_seconds: float = Field(default=30, gt=0)
    max_concurrency: int = Field(default=8, ge=1)
    max_reply_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)

    @property
    def base(self) -> str:
        return str(self.base_url).rstrip("/")


class DidForSaleSettings(_ProviderSettings):
    """A DIDforSale account. Field names and the path are assumed, hence configurable."""

    kind: Literal["didforsale"]
    api_key: str = Field(min_length=1)
    token: str = Field(min_length=1)
    timezone: str = "UTC"
    cdr_path: str = "/SMS/CDR"
    start_date_field: str = "start_date"
    end_date_field: str = "end_date"
    last_record_number_field: str = "last_record_number"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class CarrierXSettings(_ProviderSettings):
    """A CarrierX account (core API v2)."""

    kind: Literal["carrierx"]
    token: str = Field(min_length=1)


ProviderSettings = Annotated[DidForSaleSettings | CarrierXSettings, Field(discriminator="kind")]


class Settings(_Section):
    """The whole validated configuration."""

    server: ServerSettings = ServerSettings()
    security: SecuritySettings
    cache: CacheSettings = CacheSettings()
    limits: LimitSettings = LimitSettings()
    providers: tuple[ProviderSettings, ...] = Field(min_length=1)

    @field_validator("providers")
    @classmethod
    def _unique_names(cls, providers: tuple[ProviderSettings, ...]) -> tuple[ProviderSettings, ...]:
        seen: set[str] = set()
        for provider in providers:
            if provider.name in seen:
                raise ValueError(f"duplicate provider name {provider.name!r}")
            seen.add(provider.name)
        return providers


def _expand(value: Any, path: str, environ: dict[str, str]) -> Any:
    """Replace `${VAR}` in every string, naming the key when a variable is missing."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            variable = match.group(1)
            if variable not in environ:
                raise ConfigError(path, f"environment variable {variable} is not set")
            return environ[variable]

        return _VAR.sub(substitute, value)
    if isinstance(value, dict):
        return {k: _expand(v, f"{path}.{k}" if path else k, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, f"{path}[{i}]", environ) for i, v in enumerate(value)]
    return value


def _key_of(location: tuple[int | str, ...]) -> str:
    key = ""
    for part in location:
        if isinstance(part, int):
            key += f"[{part}]"
        elif part in ("didforsale", "carrierx"):
            continue
        else:
            key += f".{part}" if key else str(part)
    return key


def parse_settings(data: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    """Validate a parsed TOML document; raises `ConfigError` naming the first bad key."""
    expanded = _expand(data, "", dict(os.environ) if environ is None else environ)
    try:
        return Settings.model_validate(expanded)
    except ValidationError as exc:
        first = exc.errors()[0]
        problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(_key_of(first["loc"]), problem) from None


def load_settings(path: Path, environ: dict[str, str] | None = None) -> Settings:
    """Read and validate a config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("", f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("", f"{path} is not valid TOML: {exc}") from None
    return parse_settings(data, environ)
