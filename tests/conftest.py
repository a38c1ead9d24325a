import pytest

from .redis_server import redis_server


@pytest.fixture(scope="session")
def redis_url():
    with redis_server() as url:
        yield url
