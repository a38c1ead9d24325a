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
