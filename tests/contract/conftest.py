from collections.abc import AsyncIterator

import pytest

from .deployment import Contract, deploy


@pytest.fixture(scope="session")
async def shared_contract() -> AsyncIterator[Contract]:
    deployed = await deploy()
    yield deployed
    await deployed.close()


@pytest.fixture
def contract(shared_contract: Contract) -> Contract:
    """The deployment every test that only reads shares, its refusal logs emptied so that a
    test reads only its own. A test that changes what a fake holds or how it answers takes
    `own_contract` instead."""
    shared_contract.accounts.forget_refusals()
    return shared_contract


@pytest.fixture
async def own_contract() -> AsyncIterator[Contract]:
    deployed = await deploy()
    yield deployed
    await deployed.close()
