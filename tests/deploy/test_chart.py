"""The Helm chart, rendered and checked without a cluster: `helm lint --strict`, every
manifest valid for a current Kubernetes (kubernetes-validate, strict), and what platform
teams rely on: probes, resources and non-root security on every workload, outside
traffic admitted to the gateway only, values checked by the chart's schema."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "l2c"
KUBERNETES = "1.33"


def _helm() -> str:
    found = sorted((REPO / ".cache" / "helm").glob("*/helm"))
    assert found, "no helm binary under .cache/helm: `make helm` builds it"
    return str(found[-1])


def _render(*values: str, sets: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    args = [_helm(), "template", "crm", str(CHART), "--namespace", "sales"]
    for path in values:
        args += ["--values", str(CHART / path)]
    for setting in sets:
        args += ["--set", setting]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(
    scope="module", params=[(), ("values-production.yaml",)], ids=["default", "production"]
)
def manifests(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return _render(*request.param)


def _workloads(docs: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield doc, doc["spec"]["template"]["spec"]


def test_the_chart_lints_strictly() -> None:
    for values in ([], ["--values", str(CHART / "values-production.yaml")]):
        done = subprocess.run(
            [_helm(), "lint", "--strict", str(CHART), *values],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_manifest_is_valid_kubernetes(manifests: list[dict[str, Any]]) -> None:
    for doc in manifests:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    kinds = {doc["kind"] for doc in manifests}
    assert kinds >= {
        "Deployment",
        "StatefulSet",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceAccount",
        "Job",
    }


def test_each_service_role_is_its_own_workload(manifests: list[dict[str, Any]]) -> None:
    names = {doc["metadata"]["name"] for doc in manifests if doc["kind"] == "Deployment"}
    for service in ("leads", "deals", "billing"):
        for role in ("api", "relay", "policies"):
            assert f"crm-l2c-{service}-{role}" in names
    relays = [d for d in manifests if d["metadata"]["name"].endswith("-relay")]
    assert all(d["spec"]["replicas"] == 1 for d in relays)  # a relay keeps order: one each
    insights = next(d for d in manifests if d["kind"] == "StatefulSet")
    assert insights["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "read-models"


def test_workloads_have_probes_resources_and_run_as_non_root(
    manifests: list[dict[str, Any]],
) -> None:
    for doc, pod in _workloads(manifests):
        name = doc["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["requests"] and container["resources"]["limits"], name
            if doc["kind"] != "Job":
                assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
                assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
                assert container["startupProbe"]["httpGet"]["path"] == "/healthz", name


def test_only_the_gateway_is_exposed(manifests: list[dict[str, Any]]) -> None:
    services = [d for d in manifests if d["kind"] == "Service"]
    for service in services:
        if not service["metadata"]["name"].endswith("-gateway"):
            assert service["spec"]["type"] == "ClusterIP", service["metadata"]["name"]
    for ingress in (d for d in manifests if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"]["name"] == "crm-l2c-gateway"
    policies = {d["metadata"]["name"]: d["spec"] for d in manifests if d["kind"] == "NetworkPolicy"}
    internal = policies["crm-l2c-internal"]
    selector = {e["key"]: e for e in internal["podSelector"]["matchExpressions"]}
    assert selector["app.kubernetes.io/component"]["values"] == ["gateway"]
    assert selector["app.kubernetes.io/component"]["operator"] == "NotIn"
    sources = internal["ingress"][0]["from"]
    assert sources[0] == {"podSelector": {"matchLabels": {"l2c/part-of-release": "crm"}}}
    assert all("ipBlock" not in s for s in sources)  # nothing from outside the cluster
    assert "from" not in policies["crm-l2c-gateway"]["ingress"][0]  # the gateway: anyone


def _store_env(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each L2C container's store settings, by container name."""
    out = {}
    for _, pod in _workloads(docs):
        for container in pod["containers"]:
            env = {e["name"]: e for e in container.get("env", [])}
            out[container["name"]] = {
                k: v for k, v in env.items() if "STORE" in k or "POSTGRES" in k or "KURRENT" in k
            }
    return out


def test_every_long_running_pod_is_scraped_on_the_port_it_serves(
    manifests: list[dict[str, Any]],
) -> None:
    served = 0
    for doc, pod in _workloads(manifests):
        annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
        if doc["kind"] == "Job":
            assert "prometheus.io/scrape" not in annotations
            continue
        assert annotations["prometheus.io/scrape"] == "true", doc["metadata"]["name"]
        assert annotations["prometheus.io/path"] == "/metrics"
        ports = {p["containerPort"] for c in pod["containers"] for p in c.get("ports", [])}
        assert int(annotations["prometheus.io/port"]) in ports, doc["metadata"]["name"]
        served += 1
    assert served >= 11  # 3 services x 3 roles, the gateway, the insights worker
    quiet = _render(sets=("metrics.scrapeAnnotations=false",))
    assert all(
        "annotations" not in doc["spec"]["template"]["metadata"]
        for doc, _ in _workloads(quiet)
        if doc["kind"] != "Job"
    )


def test_the_store_is_chosen_by_values() -> None:
    postgres = _store_env(_render())
    assert postgres and all(e["L2C_STORE"]["value"] == "postgres" for e in postgres.values())
    assert all("L2C_KURRENTDB_URI" not in e for e in postgres.values())
    kurrent = _store_env(_render(sets=("store=kurrentdb", "kurrentdb.existingSecret=esdb")))
    for name, env in kurrent.items():
        assert env["L2C_STORE"]["value"] == "kurrentdb", name
        assert env["L2C_KURRENTDB_URI"]["valueFrom"]["secretKeyRef"] == {
            "name": "esdb",
            "key": "uri",
        }
        assert not any(key.startswith("L2C_POSTGRES") for key in env), name


def test_relays_sign_audit_checkpoints_with_the_key_from_a_secret() -> None:
    def audit_setup(docs: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        out = {}
        for doc, pod in _workloads(docs):
            container = pod["containers"][0]
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            mounts = [m for m in container.get("volumeMounts", []) if m["name"] == "audit-key"]
            secrets = [v["secret"] for v in pod.get("volumes", []) if "secret" in v]
            out[doc["metadata"]["name"]] = (env.get("L2C_AUDIT_KEY_FILE"), mounts, secrets)
        return out

    signed = audit_setup(_render(sets=("audit.signingKeySecret=audit-key",)))
    relays = {name: setup for name, setup in signed.items() if name.endswith("-relay")}
    assert len(relays) == 3
    for name, (key_file, mounts, secrets) in relays.items():
        assert key_file == "/etc/l2c/audit/signing-key.pem", name
        assert mounts == [{"name": "audit-key", "mountPath": "/etc/l2c/audit", "readOnly": True}]
        assert secrets[0]["secretName"] == "audit-key"
        assert secrets[0]["items"] == [{"key": "signing-key.pem", "path": "signing-key.pem"}]
    # Only the relays hold the signing key.
    assert all(setup == (None, [], []) for n, setup in signed.items() if n not in relays)
    assert all(setup[0] is None and not setup[1] for setup in audit_setup(_render()).values())


def test_a_schema_registry_is_given_to_every_process_that_produces() -> None:
    docs = _render(
        sets=("schemaRegistry.url=https://registry.example.com", "schemaRegistry.existingSecret=sr")
    )
    producers = 0
    for doc, pod in _workloads(docs):
        for container in pod["containers"]:
            env = {e["name"]: e for e in container.get("env", [])}
            if "L2C_KAFKA_BOOTSTRAP" not in env:
                continue
            producers += 1
            assert env["L2C_SCHEMA_REGISTRY_URL"]["value"] == "https://registry.example.com"
            assert env["L2C_SCHEMA_REGISTRY_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
                "name": "sr",
                "key": "password",
            }, doc["metadata"]["name"]
    assert producers >= 10  # 3 services x 3 roles and the insights worker, at least
    plain = _render()
    assert not any(
        "L2C_SCHEMA_REGISTRY_URL" in {e["name"] for e in c.get("env", [])}
        for _, pod in _workloads(plain)
        for c in pod["containers"]
    )


def test_the_schema_refuses_bad_values() -> None:
    for setting in (
        "image.pullPolicy=Sometimes",
        "kafka.securityProtocol=SSL",
        "unknown=1",
        "store=mysql",
        "audit.checkpointEvery=0",
        "schemaRegistry.url=ftp://registry",
        "store=kurrentdb",  # without the Secret holding its connection string
    ):
        done = subprocess.run(
            [_helm(), "template", "crm", str(CHART), "--set", setting],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0 and "schema" in done.stderr.lower(), (setting, done.stderr)


def test_docker_compose_follows_the_compose_spec() -> None:
    done = subprocess.run(
        [
            str(Path(REPO / ".venv" / "bin" / "check-jsonschema")),
            "--builtin-schema",
            "vendor.compose-spec",
            str(REPO / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    roles = {
        name
        for name, s in compose["services"].items()
        if s.get("image", "").startswith("${L2C_IMAGE")
    }
    assert roles >= {"leads", "deals", "billing", "insights", "gateway", "topics", "auth-init"}
    exposed = {name for name, s in compose["services"].items() if "ports" in s}
    assert exposed - {"jaeger", "prometheus"} == {"gateway"}  # the one public edge


def test_the_dashboard_charts_series_the_processes_export() -> None:
    import json
    import re

    from kernel import metrics

    exported = {
        m._name  # noqa: SLF001 - prometheus_client keeps the base name here
        for m in vars(metrics).values()
        if hasattr(m, "_name") and hasattr(m, "collect")
    }
    dashboard = json.loads((REPO / "deploy" / "grafana" / "l2c-dashboard.json").read_text())
    assert len(dashboard["panels"]) >= 8
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            names = set(re.findall(r"\b(l2c_[a-z_]+)", target["expr"]))
            bases = {re.sub(r"_(total|bucket|sum|count)$", "", n) for n in names}
            assert bases and bases <= exported, (panel["title"], bases - exported)
