"""The production example config loads with the variables docker/.env.example names and the
environment compose adds, and keeps the gateway closed and unexplorable."""

from gateway.config import load_settings
from tests.support.containers import DOCKER, service

FILLED_IN = {
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
    environment = {**FILLED_IN, **service("gateway")["environment"]}
    settings = load_settings(DOCKER / "gateway.toml", environ=environment)
    assert settings.server.graphiql is False
    assert settings.server.introspection is False
    assert settings.server.log_format == "json"
    assert [client.name for client in settings.clients] == ["bff"]
    assert settings.auth.jwt is not None
    assert settings.cache.backend == "redis"
    assert settings.cache.redis_url == "redis://redis:6379/0"


def test_docker_env_example_names_every_secret_the_production_config_reads():
    lines = (DOCKER / ".env.example").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert names == {"GATEWAY_CONFIG", *FILLED_IN}
