"""The production example config loads, and keeps the gateway closed and unexplorable."""

from pathlib import Path

from gateway.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENT = {
    "GATEWAY_CORS_ORIGIN": "https://app.example.test",
    "GATEWAY_CURSOR_SECRET": "s" * 32,
    "GATEWAY_BFF_TOKEN_SHA256": "0" * 64,
    "GATEWAY_JWT_ISSUER": "https://id.example.test/",
    "GATEWAY_JWT_JWKS_URL": "https://id.example.test/.well-known/jwks.json",
    "DFS_API_KEY": "key",
    "DFS_TOKEN": "token",
    "CX_TOKEN": "token",
}


def test_the_production_example_needs_clients_and_hides_the_schema():
    settings = load_settings(ROOT / "docker" / "gateway.toml", environ=ENVIRONMENT)
    assert settings.server.graphiql is False
    assert settings.server.introspection is False
    assert [client.name for client in settings.clients] == ["bff"]
    assert settings.auth.jwt is not None
    assert settings.cache.backend == "redis"
