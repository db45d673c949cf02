"""docker-compose.yml, the Dockerfile and the nginx in front: checked offline, without images.

The file is validated against the Compose specification's JSON schema (vendored in PyPI's
check-jsonschema, so no network; ``docker compose config`` needs the Compose plugin, which
neither this machine nor CI has). What a schema cannot see is checked here: references between services,
mounted paths, health checks and restart policies, two replicas reached only through nginx, the
config and policies the gateways read, and that the image carries every package of the wheel.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import ROOT, load_yaml, policy_check

COMPOSE = ROOT / "docker-compose.yml"
NGINX = ROOT / "deploy" / "nginx" / "kakehashi.conf"
DOCKERFILE = ROOT / "Dockerfile"
# Long-running services: each restarts by itself and says when it is healthy.
SERVICES = {"gateway", "nginx", "postgres", "redis", "keycloak"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(COMPOSE)
    return data


def test_compose_file_matches_the_compose_specification() -> None:
    done = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_services_restart_and_report_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES | {"migrate"}
    for name in SERVICES:
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["restart"] == "no"


def test_dependencies_wait_for_health_and_migrations(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if target == "migrate":
                assert rule["condition"] == "service_completed_successfully"
            else:
                assert rule["condition"] == "service_healthy", f"{name} -> {target}"
                assert "healthcheck" in services[target], target
    gateway = services["gateway"]["depends_on"]
    assert set(gateway) == {"migrate", "redis", "keycloak"}
    # Keycloak is ready (realm imported), not merely started.
    keycloak = services["keycloak"]
    assert keycloak["environment"]["KC_HEALTH_ENABLED"] == "true"
    assert "/health/ready" in " ".join(keycloak["healthcheck"]["test"])


def test_two_gateway_replicas_reached_only_through_nginx(compose: dict[str, Any]) -> None:
    services = compose["services"]
    gateway = services["gateway"]
    assert gateway["deploy"]["replicas"] >= 2
    assert "ports" not in gateway
    assert "/readyz" in " ".join(gateway["healthcheck"]["test"])
    assert services["nginx"]["depends_on"]["gateway"]["condition"] == "service_healthy"
    conf = NGINX.read_text(encoding="utf-8")
    port = gateway["command"][gateway["command"].index("--port") + 1]
    assert re.search(rf"server gateway:{port} resolve", conf)
    assert re.search(r"proxy_buffering off;", conf), "streamed answers must not be buffered"
    mounts = services["nginx"]["volumes"]
    assert f"./{NGINX.relative_to(ROOT)}:/etc/nginx/conf.d/default.conf:ro" in mounts


def test_mounted_paths_and_volumes_exist(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes", {}))
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"


def test_secrets_come_only_from_the_environment(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in service.get("environment", {}).items():
            if re.search(r"SECRET|PASSWORD|API_KEY|DATABASE__URL", key):
                assert "${" in str(value), f"{name}: {key} is written in the file"


def _mounted(compose: dict[str, Any], target: str) -> Path:
    for mount in compose["services"]["gateway"]["volumes"]:
        source, path, *_ = mount.split(":")
        if path == target:
            return ROOT / source
    raise AssertionError(f"nothing mounted at {target}")


def test_gateway_config_and_example_policies_load(compose: dict[str, Any], tmp_path: Path) -> None:
    env = compose["services"]["gateway"]["environment"]
    config_path = _mounted(compose, env["KAKEHASHI_CONFIG"])
    config = load_yaml(config_path)
    assert config["mode"] == "production"
    policies = _mounted(compose, config["policies_dir"])
    assert policies == ROOT / "policies" / "examples"
    # The fsync'd spool must be on a volume both replicas share (a live one replays a dead one's).
    spool = [
        m
        for m in compose["services"]["gateway"]["volumes"]
        if m.split(":")[1] == config["spool_dir"]
    ]
    assert spool, "spool_dir is not on a volume"
    assert spool[0].split(":")[0] in compose["volumes"]
    assert not spool[0].endswith(":ro")
    result = policy_check(config_path.read_text(encoding="utf-8"), tmp_path, policies)
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output


def test_image_is_locked_non_root_and_carries_every_package() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "uv sync --locked --no-dev --no-editable" in text
    assert re.search(r"^USER 10001", text, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", text, re.MULTILINE)
    assert re.search(r"^CMD \[\"kakehashi\", \"serve\"\]", text, re.MULTILINE)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    for package in packages:
        assert re.search(rf"^COPY {package} {package}$", text, re.MULTILINE), package
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert not set(packages) & set(ignored)
