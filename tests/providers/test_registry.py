from gateway.config import parse_settings
from gateway.providers import build_adapters
from gateway.providers.carrierx import CarrierXAdapter
from gateway.providers.didforsale import DidForSaleAdapter
from gateway.records import ProviderKind


async def test_each_account_gets_the_adapter_of_its_kind(session):
    settings = parse_settings(
        {
            "security": {"cursor_secret": "0123456789abcdef"},
            "providers": [
                {
                    "name": "cx-a",
                    "kind": "carrierx",
                    "base_url": "https://cx.test/core/v2",
                    "token": "t",
                },
                {
                    "name": "dfs",
                    "kind": "didforsale",
                    "base_url": "https://dfs.test/api/V4",
                    "api_key": "k",
                    "token": "t",
                    "timezone": "America/Chicago",
                },
                {
                    "name": "cx-b",
                    "kind": "carrierx",
                    "base_url": "https://cx2.test/core/v2",
                    "token": "u",
                },
            ],
        },
        environ={},
    )
    adapters = build_adapters(settings.providers, session)
    assert [type(adapter) for adapter in adapters] == [
        CarrierXAdapter,
        DidForSaleAdapter,
        CarrierXAdapter,
    ]
    assert [adapter.name for adapter in adapters] == ["cx-a", "dfs", "cx-b"]
    assert [adapter.kind for adapter in adapters] == [
        ProviderKind.CARRIERX,
        ProviderKind.DIDFORSALE,
        ProviderKind.CARRIERX,
    ]
