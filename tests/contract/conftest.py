from collections.abc import AsyncIterator

import pytest

from .deployment import Contract, deploy


@pytest.fixture(scope="session")
async def contract() -> AsyncIterator[Contract]:
    deployed = await deploy()
    yield deployed
    await deployed.close()
