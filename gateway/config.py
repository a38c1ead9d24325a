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
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from gateway import tracing
from gateway.errors import ConfigError
from gateway.logs import LogFormat

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
_SHA256_HEX = r"^[0-9a-f]{64}$"
EVERY_ACCOUNT = "*"
DEFAULT_REQUEST_DEADLINE_SECONDS = 5.0


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
    request_deadline_seconds: float = Field(default=DEFAULT_REQUEST_DEADLINE_SECONDS, gt=0)
    """How long a request waits for its accounts; one still out then is cut from it."""
    introspection: bool = True
    federation: bool = False
    """Serve the schema as an Apollo Federation 2 subgraph (entities, `_service`)."""
    log_format: LogFormat = "json"
    """How log lines are written on stderr: one JSON object a line, or text for people."""

    @model_validator(mode="after")
    def _default_fits_max(self) -> ServerSettings:
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        return self


class SecuritySettings(_Section):
    """`[security]`: the HMAC key that signs cursors; replicas must share it."""

    cursor_secret: str = Field(min_length=16, repr=False)


class CacheSettings(_Section):
    """`[cache]`: where upstream pages are kept between GraphQL pages."""

    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    ttl_seconds: float = Field(default=30, ge=0)
    head_refresh_seconds: float | None = Field(default=None, ge=0)
    """A first page without `createdBefore` ends its window at the next multiple of this
    (None: `ttl_seconds`), so that identical first pages send identical upstream requests."""
    max_memory_mb: float = Field(default=32, gt=0)
    """What the in-process backend may hold, in MiB of cached replies: enough for a few
    walks' DIDforSale windows, far below what the process's own memory should grow by."""
    persisted_queries_max_mb: float = Field(default=4, gt=0)
    """What the in-process store of persisted queries may hold, in MiB of documents; past
    it the least recently used go first (with Redis, documents expire by time instead)."""

    @property
    def window_end_step_seconds(self) -> float:
        """The step a first page's open window end is rounded up to; 0 when nothing is
        cached, since a shared request then saves nothing."""
        if self.ttl_seconds <= 0:
            return 0
        return self.ttl_seconds if self.head_refresh_seconds is None else self.head_refresh_seconds


class _ProviderSettings(_Section):
    """What every account has: where it is, and how hard the gateway tries it."""

    name: str = Field(pattern=_NAME)
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
    api_key: str = Field(min_length=1, repr=False)
    token: str = Field(min_length=1, repr=False)
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
    token: str = Field(min_length=1, repr=False)


ProviderSettings = Annotated[DidForSaleSettings | CarrierXSettings, Field(discriminator="kind")]


class ClientSettings(_Section):
    """A `[[clients]]` entry: a service holding a static bearer token, known by its hash only."""

    name: str = Field(pattern=_NAME)
    token_sha256: str = Field(pattern=_SHA256_HEX)
    providers: tuple[str, ...] = Field(min_length=1)
    can_write: bool = False

    @field_validator("providers")
    @classmethod
    def _every_or_names(cls, providers: tuple[str, ...]) -> tuple[str, ...]:
        if EVERY_ACCOUNT in providers and len(providers) > 1:
            raise ValueError(f'"{EVERY_ACCOUNT}" stands alone: it already means every account')
        return providers


class JwtSettings(_Section):
    """`[auth.jwt]`: tokens from an identity provider, checked against one key source."""

    issuer: str = Field(min_length=1)
    audience: str = Field(min_length=1)
    jwks_url: AnyHttpUrl | None = None
    jwks_file: Path | None = None
    hs256_secret: SecretStr | None = None
    providers_claim: str = Field(default="sms_accounts", min_length=1)
    write_scope: str = Field(default="sms:write", pattern=r"^\S+$")
    leeway_seconds: float = Field(default=30, ge=0)

    @field_validator("hs256_secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr | None) -> SecretStr | None:
        # RFC 7518 3.2: an HS256 key must be at least as long as the hash output.
        if secret is not None and len(secret.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return secret

    @model_validator(mode="after")
    def _one_key_source(self) -> JwtSettings:
        sources = [self.jwks_url, self.jwks_file, self.hs256_secret]
        if sum(source is not None for source in sources) != 1:
            raise ValueError("exactly one of jwks_url, jwks_file, hs256_secret must be set")
        return self


class AuthSettings(_Section):
    """`[auth]`: optional ways to authenticate beyond static client tokens."""

    jwt: JwtSettings | None = None


class LimitsSettings(_Section):
    """`[limits]`: how big and how expensive one request may be."""

    max_body_bytes: int = Field(default=65536, ge=1)
    max_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=10, ge=1)
    max_tokens: int = Field(default=2000, ge=1)
    max_cost: int = Field(default=2000, ge=1)
    max_stats_calls: int = Field(default=200, ge=1)
    """Upstream calls (provider pages) one `smsRecordStats` may make per account."""


class TelemetrySettings(_Section):
    """`[telemetry]`: where traces go (OTLP over HTTP); no endpoint, no traces. The standard
    `OTEL_*` environment variables, read by the OpenTelemetry SDK, override these keys."""

    otlp_endpoint: AnyHttpUrl | None = None
    """The collector's base URL (`http://collector:4318`); spans go to its `/v1/traces`."""
    service_name: str = Field(default="sms-gateway", min_length=1)

    @field_validator("otlp_endpoint")
    @classmethod
    def _extra_installed(cls, endpoint: AnyHttpUrl | None) -> AnyHttpUrl | None:
        """Refused at start-up rather than tracing nothing without a word."""
        if endpoint is not None and not tracing.INSTALLED:
            raise ValueError(tracing.MISSING_EXTRA)
        return endpoint


class Settings(_Section):
    """The whole validated configuration."""

    server: ServerSettings = ServerSettings()
    security: SecuritySettings
    cache: CacheSettings = CacheSettings()
    limits: LimitsSettings = LimitsSettings()
    auth: AuthSettings = AuthSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    clients: tuple[ClientSettings, ...] = ()
    providers: tuple[ProviderSettings, ...] = Field(min_length=1)

    @field_validator("providers")
    @classmethod
    def _unique_names(cls, providers: tuple[ProviderSettings, ...]) -> tuple[ProviderSettings, ...]:
        _refuse_duplicates("provider name", [provider.name for provider in providers])
        return providers

    @field_validator("clients")
    @classmethod
    def _unique_clients(cls, clients: tuple[ClientSettings, ...]) -> tuple[ClientSettings, ...]:
        _refuse_duplicates("client name", [client.name for client in clients])
        _refuse_duplicates("token_sha256", [client.token_sha256 for client in clients])
        return clients

    @model_validator(mode="after")
    def _clients_name_accounts(self) -> Settings:
        """A client may only name configured accounts: a typo would silently hide one.

        Raised as `ConfigError` itself (pydantic lets it through) because the key to name is
        an item of `clients`, which a model-level `ValueError` cannot point at."""
        known = {*self.account_names, EVERY_ACCOUNT}
        for i, client in enumerate(self.clients):
            for j, name in enumerate(client.providers):
                if name not in known:
                    raise ConfigError(f"clients[{i}].providers[{j}]", f"no account named {name!r}")
        return self

    @property
    def account_names(self) -> tuple[str, ...]:
        return tuple(provider.name for provider in self.providers)


def _refuse_duplicates(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


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
