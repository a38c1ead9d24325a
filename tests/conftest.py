import os

import pytest
from hypothesis import settings

from .redis_server import redis_server

# CI replays the same examples on every run, so that a landing never hangs on a draw;
# elsewhere each run draws new ones and keeps any failure in `.hypothesis/` to replay.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def redis_url():
    with redis_server() as url:
        yield url
