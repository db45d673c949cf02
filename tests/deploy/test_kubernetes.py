"""deploy/kubernetes/: validated offline against the Kubernetes API schemas (PyPI's
kubernetes-validate ships them), strictly (an unknown or misspelt field fails), for the oldest
and newest versions we support. Then what the schemas cannot see: selectors that find the pods,
probes on the right endpoints, secrets only through Secret references, policies from the image,
and a gateway config that loads and names the policies' models."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import ROOT, load_all, policy_check

MANIFESTS = ROOT / "deploy" / "kubernetes"
# Oldest Kubernetes still maintained by the big managed offerings, and the newest schema shipped.
VERSIONS = ("1.31.0", "1.37.0")


def _resources() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for doc in load_all(path):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


RESOURCES = _resources()


def _pod_specs() -> dict[str, dict[str, Any]]:
    """Every pod template: the Deployment's, the Job's and each CronJob's."""
    specs = {}
    for (kind, name), doc in RESOURCES.items():
        if kind in ("Deployment", "Job"):
            specs[name] = doc["spec"]["template"]["spec"]
        elif kind == "CronJob":
            specs[name] = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return specs


@pytest.mark.parametrize("version", VERSIONS)
def test_manifests_match_the_kubernetes_schemas(version: str) -> None:
    files = [str(path) for path in sorted(MANIFESTS.glob("*.yaml"))]
    done = subprocess.run(
        ["kubernetes-validate", "--strict", "--quiet", "-k", version, *files],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_expected_resources_are_there() -> None:
    kinds = {kind for kind, _ in RESOURCES}
    assert {"Deployment", "Service", "PodDisruptionBudget", "ConfigMap", "Job", "CronJob"} <= kinds
    commands = {tuple(spec["containers"][0]["args"]) for spec in _pod_specs().values()}
    assert ("kakehashi", "audit", "verify") in commands
    assert ("kakehashi", "audit", "purge") in commands
    assert ("kakehashi", "db", "upgrade") in commands


def test_selectors_find_the_gateway_pods() -> None:
    deployment = RESOURCES[("Deployment", "kakehashi")]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["replicas"] >= 2
    selectors = [
        deployment["spec"]["selector"]["matchLabels"],
        RESOURCES[("Service", "kakehashi")]["spec"]["selector"],
        RESOURCES[("PodDisruptionBudget", "kakehashi")]["spec"]["selector"]["matchLabels"],
    ]
    for selector in selectors:
        assert selector.items() <= labels.items(), selector
    assert RESOURCES[("PodDisruptionBudget", "kakehashi")]["spec"]["minAvailable"] == 1
    backend = RESOURCES[("Ingress", "kakehashi")]["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["backend"]["service"]["name"] == "kakehashi"


def test_probes_use_readiness_and_liveness_endpoints() -> None:
    container = RESOURCES[("Deployment", "kakehashi")]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # Liveness must not follow the database: an outage would restart every replica at once.
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("name", sorted(_pod_specs()))
def test_pods_run_unprivileged_with_secrets_from_secret_refs(name: str) -> None:
    spec = _pod_specs()[name]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["automountServiceAccountToken"] is False
    (container,) = spec["containers"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    env = {item["name"]: item for item in container["env"]}
    for secret in (
        "KAKEHASHI_SECRET_KEY",
        "KAKEHASHI_OIDC__CLIENT_SECRET",
        "KAKEHASHI_DATABASE__URL",
    ):
        assert env[secret]["valueFrom"]["secretKeyRef"]["name"] == "kakehashi", secret
    for item in container["env"]:
        assert "value" not in item or "SECRET" not in item["name"], item["name"]


def test_policies_come_from_the_image() -> None:
    """The image copies the example policies to policies_dir; nothing mounts over them."""
    config = RESOURCES[("ConfigMap", "kakehashi-config")]["data"]["kakehashi.yaml"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY policies/examples /etc/kakehashi/policies" in dockerfile
    assert "policies_dir: /etc/kakehashi/policies" in config
    for name, spec in _pod_specs().items():
        for container in spec["containers"]:
            for mount in container.get("volumeMounts", []):
                assert not mount["mountPath"].startswith("/etc/kakehashi/policies"), name


def test_gateway_config_loads_and_names_the_policies_models(tmp_path: Path) -> None:
    config = RESOURCES[("ConfigMap", "kakehashi-config")]["data"]["kakehashi.yaml"]
    container = RESOURCES[("Deployment", "kakehashi")]["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    assert env["KAKEHASHI_CONFIG"] == f"{mounts['config']}/kakehashi.yaml"
    # The root filesystem is read-only: what the gateway writes needs a volume.
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert f"spool_dir: {mounts['spool']}" in config
    result = policy_check(config, tmp_path)
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output
