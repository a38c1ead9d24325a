"""Config: `${VAR}` expansion and one clear error naming the key."""

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.config import load_settings, parse_settings
from gateway.errors import ConfigError

GOOD = """
[server]
port = 8123
cors_origins = ["https://app.example.com"]

[security]
cursor_secret = "${SECRET}"

[[providers]]
name = "dfs-main"
kind = "didforsale"
base_url = "https://api.didforsale.com/didforsaleapi/index.php/api/V4"
api_key = "${DFS_API_KEY}"
token = "${DFS_TOKEN}"
timezone = "America/Chicago"

[[providers]]
name = "cx-main"
kind = "carrierx"
base_url = "https://api.carrierx.com/core/v2"
token = "${CX_TOKEN}"

[[providers]]
name = "cx-second"
kind = "carrierx"
base_url = "https://api.carrierx.com/core/v2"
token = "literal-token"
"""
ENV = {
    "SECRET": "s" * 32,
    "DFS_API_KEY": "key",
    "DFS_TOKEN": "tok",
    "CX_TOKEN": "cxtok",
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    return path


def test_a_full_config_loads_with_several_accounts_of_one_kind(tmp_path):
    settings = load_settings(write(tmp_path, GOOD), ENV)
    assert [p.name for p in settings.providers] == ["dfs-main", "cx-main", "cx-second"]
    assert settings.providers[0].api_key == "key"
    assert settings.providers[1].token == "cxtok"
    assert settings.server.port == 8123
    assert settings.server.cors_origins == ("https://app.example.com",)
    assert settings.cache.backend == "memory"


def test_each_account_has_its_own_call_policy_with_defaults(tmp_path):
    text = GOOD.replace(
        'token = "literal-token"',
        'token = "literal-token"\ntimeout_seconds = 2.5\nretries = 0\nbreaker_cooldown_seconds = 5',
    )
    settings = load_settings(write(tmp_path, text), ENV)
    tuned, default = settings.providers[2], settings.providers[1]
    assert (tuned.timeout_seconds, tuned.retries, tuned.breaker_cooldown_seconds) == (2.5, 0, 5)
    assert (default.timeout_seconds, default.retries, default.breaker_failures) == (10, 2, 5)
    assert default.max_concurrency == 8 and default.max_reply_bytes == 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (
            lambda t: t.replace("port = 8123", "port = 8123\nbogus = 1"),
            "server.bogus",
            "unknown key",
        ),
        (lambda t: t.replace('"${CX_TOKEN}"', '"${NOPE}"'), "providers[1].token", "NOPE"),
        (
            lambda t: t.replace(
                '"https://api.carrierx.com/core/v2"\ntoken = "${', '"not a url"\ntoken = "${'
            ),
            "providers[1].base_url",
            "URL",
        ),
        (lambda t: t.replace('name = "cx-second"', 'name = "cx-main"'), "providers", "duplicate"),
        (
            lambda t: t.replace('"America/Chicago"', '"Mars/Olympus"'),
            "providers[0].timezone",
            "zone",
        ),
        (
            lambda t: t.replace('token = "literal-token"', 'token = "x"\napi_key = "k"'),
            "providers[2].api_key",
            "unknown key",
        ),
        (
            lambda t: t.replace('token = "literal-token"', 'token = "x"\nretries = -1'),
            "providers[2].retries",
            "greater than or equal to 0",
        ),
        (
            lambda t: t.replace('token = "literal-token"', 'token = "x"\nbreaker_failures = 0'),
            "providers[2].breaker_failures",
            "greater than or equal to 1",
        ),
        (
            lambda t: t.replace("port = 8123", "port = 8123\nshutdown_grace_seconds = 0"),
            "server.shutdown_grace_seconds",
            "greater than 0",
        ),
        (
            lambda t: t.replace("port = 8123", "port = 8123\nrequest_deadline_seconds = 0"),
            "server.request_deadline_seconds",
            "greater than 0",
        ),
        (
            lambda t: t.replace("port = 8123", "port = 8123\nrequest_deadline_seconds = -1.5"),
            "server.request_deadline_seconds",
            "greater than 0",
        ),
        (
            lambda t: t + '[telemetry]\notlp_endpoint = "collector:4318"\n',
            "telemetry.otlp_endpoint",
            "URL",
        ),
        (
            lambda t: t + '[telemetry]\nservice_name = ""\n',
            "telemetry.service_name",
            "at least 1 character",
        ),
        (
            lambda t: t.replace("port = 8123", 'port = 8123\nlog_format = "xml"'),
            "server.log_format",
            "'json' or 'text'",
        ),
    ],
)
def test_each_bad_config_names_its_key(tmp_path, change, key, problem):
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, change(GOOD)), ENV)
    assert caught.value.key == key
    assert problem in str(caught.value)


def test_missing_secret_section_is_named():
    with pytest.raises(ConfigError) as caught:
        parse_settings({"providers": []}, {})
    assert caught.value.key in {"security", "providers"}


def test_serve_with_a_bad_config_prints_one_line_and_no_traceback(tmp_path):
    path = write(tmp_path, GOOD.replace('"${CX_TOKEN}"', '"${NOT_SET_ANYWHERE}"'))
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        env={"SECRET": "s" * 32, "DFS_API_KEY": "k", "DFS_TOKEN": "t", "PATH": ""},
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "providers[1].token" in lines[0] and "NOT_SET_ANYWHERE" in lines[0]
    assert "Traceback" not in done.stderr


CLIENT_HASH = "a" * 64
WITH_ACCESS = (
    GOOD
    + f"""
[limits]
max_cost = 500

[[clients]]
name = "support-desk"
token_sha256 = "{CLIENT_HASH}"
providers = ["cx-main", "dfs-main"]

[[clients]]
name = "ops"
token_sha256 = "{"b" * 64}"
providers = ["*"]
can_write = true

[auth.jwt]
issuer = "https://id.example.com/"
audience = "sms-gateway"
hs256_secret = "${{JWT_SECRET}}"
"""
)
ACCESS_ENV = ENV | {"JWT_SECRET": "j" * 40}


def test_clients_jwt_and_limits_load_with_their_defaults(tmp_path):
    settings = load_settings(write(tmp_path, WITH_ACCESS), ACCESS_ENV)
    desk, ops = settings.clients
    assert (desk.name, desk.token_sha256, desk.providers, desk.can_write) == (
        "support-desk",
        CLIENT_HASH,
        ("cx-main", "dfs-main"),
        False,
    )
    assert (ops.providers, ops.can_write) == (("*",), True)
    jwt = settings.auth.jwt
    assert jwt is not None
    assert jwt.hs256_secret is not None and jwt.hs256_secret.get_secret_value() == "j" * 40
    assert (jwt.jwks_url, jwt.jwks_file) == (None, None)
    assert (jwt.providers_claim, jwt.write_scope, jwt.leeway_seconds) == (
        "sms_accounts",
        "sms:write",
        30,
    )
    limits = settings.limits
    assert (limits.max_body_bytes, limits.max_depth, limits.max_aliases) == (65536, 10, 10)
    assert (limits.max_tokens, limits.max_cost) == (2000, 500)
    assert settings.server.introspection is True
    assert settings.server.log_format == "json"


def test_without_clients_or_jwt_nothing_is_configured(tmp_path):
    settings = load_settings(write(tmp_path, GOOD), ENV)
    assert settings.clients == ()
    assert settings.auth.jwt is None
    assert settings.account_names == ("dfs-main", "cx-main", "cx-second")


def test_jwt_keys_may_come_from_a_url_or_a_file(tmp_path):
    for source, value in [
        ("jwks_url", "https://id.example.com/.well-known/jwks.json"),
        ("jwks_file", "/etc/gateway/jwks.json"),
    ]:
        text = WITH_ACCESS.replace('hs256_secret = "${JWT_SECRET}"', f'{source} = "{value}"')
        jwt = load_settings(write(tmp_path, text), ACCESS_ENV).auth.jwt
        assert jwt is not None and str(getattr(jwt, source)) == value
        assert jwt.hs256_secret is None


def _replace(old, new):
    return lambda text: text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (
            _replace('"cx-main", "dfs-main"', '"cx-main", "cx-nope"'),
            "clients[0].providers[1]",
            "cx-nope",
        ),
        (
            _replace('providers = ["*"]', 'providers = ["*", "cx-main"]'),
            "clients[1].providers",
            "*",
        ),
        (_replace('providers = ["*"]', "providers = []"), "clients[1].providers", "at least 1"),
        (_replace(CLIENT_HASH, "A" * 64), "clients[0].token_sha256", "pattern"),
        (_replace(CLIENT_HASH, "a" * 63), "clients[0].token_sha256", "pattern"),
        (_replace('"ops"', '"support-desk"'), "clients", "duplicate client name"),
        (_replace("b" * 64, CLIENT_HASH), "clients", "duplicate token_sha256"),
        (_replace('name = "ops"', 'name = "ops and more"'), "clients[1].name", "pattern"),
        (
            _replace("can_write = true", "can_write = true\nrole = 1"),
            "clients[1].role",
            "unknown key",
        ),
        (
            _replace(
                'hs256_secret = "${', 'jwks_url = "https://id.example.com/k"\nhs256_secret = "${'
            ),
            "auth.jwt",
            "exactly one of jwks_url, jwks_file, hs256_secret",
        ),
        (_replace('hs256_secret = "${JWT_SECRET}"', ""), "auth.jwt", "exactly one of"),
        (_replace("${JWT_SECRET}", "${JWT_NOPE}"), "auth.jwt.hs256_secret", "JWT_NOPE"),
        (_replace('audience = "sms-gateway"', ""), "auth.jwt.audience", "required"),
        (
            _replace('audience = "sms-gateway"', 'audience = "a"\nalgorithms = []'),
            "auth.jwt.algorithms",
            "unknown key",
        ),
        (_replace("[auth.jwt]", "[auth.saml]"), "auth.saml", "unknown key"),
        (
            _replace("max_cost = 500", "max_cost = 0"),
            "limits.max_cost",
            "greater than or equal to 1",
        ),
        (
            _replace("max_cost = 500", "max_depth = -1"),
            "limits.max_depth",
            "greater than or equal to 1",
        ),
        (_replace("max_cost = 500", "max_fields = 1"), "limits.max_fields", "unknown key"),
    ],
)
def test_each_bad_access_setting_names_its_key(tmp_path, change, key, problem):
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, change(WITH_ACCESS)), ACCESS_ENV)
    assert caught.value.key == key
    assert problem in str(caught.value)


def test_a_short_hs256_secret_is_refused_without_showing_it(tmp_path):
    short = "tooshort-secret-value"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, WITH_ACCESS), ACCESS_ENV | {"JWT_SECRET": short})
    assert caught.value.key == "auth.jwt.hs256_secret"
    assert "32 bytes" in str(caught.value)
    assert short not in str(caught.value)


def test_no_secret_shows_in_the_settings_repr(tmp_path):
    settings = load_settings(write(tmp_path, WITH_ACCESS), ACCESS_ENV)
    shown = repr(settings) + str(settings)
    for secret in (ACCESS_ENV["JWT_SECRET"], ENV["SECRET"], "key", "tok", "cxtok", "literal-token"):
        assert f"'{secret}'" not in shown
