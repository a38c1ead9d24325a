"""docker/compose.yaml, checked without a Docker engine: against the Compose Specification's
JSON schema (the copy check-jsonschema ships), and for what the deployment relies on."""

import copy

import pytest
from check_jsonschema.builtin_schemas import get_builtin_schema
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from tests.support.containers import DOCKER, compose, option

RESTARTING = {"unless-stopped", "on-failure", "always"}
SIMULATORS = {"didforsale", "carrierx"}


@pytest.fixture(scope="module")
def validator() -> Validator:
    """A validator for the schema's own draft of JSON Schema."""
    schema = get_builtin_schema("vendor.compose-spec")
    checker = validator_for(schema)
    checker.check_schema(schema)
    return checker(schema)


def problems(validator: Validator, document: dict) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def test_the_compose_file_follows_the_compose_specification(validator):
    assert problems(validator, compose()) == []


def test_the_schema_check_catches_a_misspelt_key_or_condition(validator):
    misspelt = copy.deepcopy(compose())
    misspelt["services"]["nginx"]["depends_on"]["gateway"]["condition"] = "service_healty"
    misspelt["services"]["redis"]["helthcheck"] = misspelt["services"]["redis"].pop("healthcheck")
    found = problems(validator, misspelt)
    assert any("nginx.depends_on" in problem for problem in found), found
    assert any("redis" in problem and "helthcheck" in problem for problem in found), found


def test_every_service_is_checked_restarted_and_waits_for_what_it_needs_to_be_healthy():
    services = compose()["services"]
    for name, service in services.items():
        assert service["healthcheck"]["test"][0] == "CMD", name
        assert service["restart"] in RESTARTING, name
        for needed, wait in service.get("depends_on", {}).items():
            assert needed in services, (name, needed)
            assert wait["condition"] == "service_healthy", (name, needed)
    assert set(services["nginx"]["depends_on"]) == {"gateway"}
    assert services["gateway"]["deploy"]["replicas"] == 2


def test_the_demo_profile_adds_both_simulators_which_the_gateways_wait_for_only_there():
    services = compose()["services"]
    in_demo = {name for name, service in services.items() if "profiles" in service}
    assert in_demo == SIMULATORS
    for name in SIMULATORS:
        assert services[name]["profiles"] == ["demo"]
        assert services[name]["command"][:2] == ["simulate", name]
        assert services["gateway"]["depends_on"][name]["required"] is False
        port = option(services[name]["command"], "--port")
        assert services["gateway"]["environment"][f"{name.upper()}_SIMULATOR"] == f"{name}:{port}"


def test_the_replicas_read_the_demo_config_unless_docker_env_names_the_production_one():
    [mount] = compose()["services"]["gateway"]["volumes"]
    assert mount == "./${GATEWAY_CONFIG:-demo.toml}:/etc/sms-gateway/gateway.toml:ro"
    assert (DOCKER / "demo.toml").is_file()
    example = (DOCKER / ".env.example").read_text().splitlines()
    assert "GATEWAY_CONFIG=gateway.toml" in example
    assert (DOCKER / "gateway.toml").is_file()


def test_every_image_pulled_is_pinned_to_a_version():
    for name, service in compose()["services"].items():
        if "build" in service:
            continue
        tag = service["image"].partition(":")[2]
        assert tag and tag != "latest" and tag[0].isdigit(), (name, service["image"])
