"""`sms-gateway new-token`, run as an operator would: the printed line pasted into a config
makes the printed token authenticate."""

import hashlib
import re
import subprocess
import sys

from gateway.auth import Authenticator
from gateway.config import load_settings


def new_token() -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "new-token"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token, line = done.stdout.splitlines()
    assert done.stderr == ""
    return token, line


async def test_new_token_prints_a_token_and_the_line_that_admits_it(tmp_path):
    token, line = new_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)
    digest = re.fullmatch(r'token_sha256 = "([0-9a-f]{64})"', line)
    assert digest is not None
    assert digest.group(1) == hashlib.sha256(token.encode()).hexdigest()

    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
[security]
cursor_secret = "new-token-test-secret"

[[providers]]
name = "cx-main"
kind = "carrierx"
base_url = "http://127.0.0.1:9"
token = "t"

[[clients]]
name = "support-desk"
{line}
providers = ["cx-main"]
"""
    )
    authenticator = Authenticator.from_settings(load_settings(config, environ={}))
    assert (await authenticator.authenticate(f"Bearer {token}")).name == "support-desk"
    assert token not in config.read_text()


def test_each_run_prints_another_token():
    first, second = new_token(), new_token()
    assert first[0] != second[0] and first[1] != second[1]
