import pytest

from .harness import Deployment, deploy


@pytest.fixture(scope="session")
async def deployment() -> Deployment:
    deployed = await deploy()
    yield deployed
    await deployed.close()
