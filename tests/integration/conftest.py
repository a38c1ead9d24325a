from collections.abc import AsyncIterator

import pytest

from tests.support.simulators import Simulated

from .accounts import deploy


@pytest.fixture(scope="session")
async def deployment() -> AsyncIterator[Simulated]:
    """Shared by every integration test that only reads: a test that changes what the
    simulators hold or how they behave deploys its own."""
    deployed = await deploy()
    yield deployed
    await deployed.close()
