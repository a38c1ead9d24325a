from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.providers.http import make_session


@pytest.fixture(scope="session")
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with make_session() as shared:
        yield shared
