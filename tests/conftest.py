import os

import pytest
import redis
from hypothesis import settings

from .redis_server import redis_server

# CI replays the same examples on every run, so that a landing never hangs on a draw;
# elsewhere each run draws new ones and keeps any failure in `.hypothesis/` to replay.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def redis_server_url():
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url):
    """The shared redis-server, emptied first: no test reads pages or generations another
    one left there."""
    with redis.Redis.from_url(redis_server_url) as client:
        client.flushdb()
    return redis_server_url


def pytest_sessionstart(session: pytest.Session) -> None:
    """Names the order's seed even under `-q`, so that a run that failed can be replayed."""
    seed = session.config.getoption("randomly_seed", None)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if seed is not None and reporter is not None:
        reporter.write_line(f"test order: -p randomly --randomly-seed={seed}")
