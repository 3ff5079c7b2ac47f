"""The world's Kubernetes API stand-in, driven by the official `kubernetes` Python client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import yaml
from kubernetes.client import (
    ApiClient,
    ApiException,
    AppsV1Api,
    Configuration,
    CoreV1Api,
    EventsV1Api,
    V1Scale,
    V1ScaleSpec,
)

from world.kubernetes_api import KubernetesStandIn
from world.signals_spec import KubernetesSpec, LogStream

pytestmark = pytest.mark.integration

TOKEN = "k8s-world-test-token"
REVISION = "deployment.kubernetes.io/revision"
NOW = datetime(2026, 3, 14, 10, 20, tzinfo=UTC)
CRASHING = "checkout-7c9d5f6b8-x2k4p"
HEALTHY = "checkout-7c9d5f6b8-q9zt1"
OLD = "checkout-6b8d4c7f9-old11"

CLUSTER = f"""
nodes:
  - name: node-a
    labels: {{topology.kubernetes.io/zone: eu-west-1a}}
    conditions: [{{type: Ready, status: "True"}}, {{type: DiskPressure, status: "False"}}]
    allocatable: {{cpu: "4", memory: 15Gi}}
  - name: node-b
    unschedulable: true
    conditions:
      - {{type: Ready, status: "True"}}
      - {{type: DiskPressure, status: "True", reason: KubeletHasDiskPressure,
         at: "2026-03-14T10:01:00Z"}}
namespaces:
  shop:
    deployments:
      - name: checkout
        replicas: 3
        ready: 1
        labels: {{app: checkout, team: pay}}
        resources: {{limits: {{memory: 512Mi}}, requests: {{cpu: 250m, memory: 256Mi}}}}
        history:
          - {{revision: 11, image: "registry/checkout:1.41.0", at: "2026-03-10T09:00:00Z",
             change_cause: deploy 1.41.0}}
          - {{revision: 12, image: "registry/checkout:1.42.0", at: "2026-03-14T09:58:00Z",
             change_cause: deploy 1.42.0 (a1b2c3d), env: {{MODE: fast}}}}
        conditions: [{{type: Available, status: "False", reason: MinimumReplicasUnavailable}}]
      - name: cart
        replicas: 2
        ready: 2
        history: [{{revision: 1, image: "registry/cart:2.0.0", at: "2026-03-01T09:00:00Z"}}]
    pods:
      - name: {CRASHING}
        deployment: checkout
        node: node-a
        created_at: "2026-03-14T09:58:05Z"
        containers:
          - name: app
            image: "registry/checkout:1.42.0"
            ready: false
            restarts: 4
            state: waiting
            reason: CrashLoopBackOff
            resources: {{limits: {{memory: 512Mi}}}}
            last_termination: {{reason: OOMKilled, exit_code: 137,
                                started_at: "2026-03-14T09:58:30Z",
                                finished_at: "2026-03-14T10:02:41Z"}}
          - {{name: envoy, image: "envoyproxy/envoy:v1.29", started_at: "2026-03-14T09:58:10Z"}}
      - name: {HEALTHY}
        deployment: checkout
        node: node-a
        containers:
          - {{name: app, image: "registry/checkout:1.42.0", started_at: "2026-03-14T09:59:00Z"}}
          - {{name: envoy, image: "envoyproxy/envoy:v1.29"}}
      - name: {OLD}
        deployment: checkout
        revision: 11
        node: node-a
        containers:
          - {{name: app, image: "registry/checkout:1.41.0"}}
          - {{name: envoy, image: "envoyproxy/envoy:v1.29"}}
      - name: cart-5d6f7a8b9c-abcde
        deployment: cart
        node: node-b
        phase: Pending
        containers:
          - {{name: cart, image: "registry/cart:v2.0.0", ready: false, state: waiting,
             reason: ImagePullBackOff}}
    events:
      - {{type: Warning, reason: BackOff, object: Pod/{CRASHING},
         message: Back-off restarting failed container app, count: 9,
         first: "2026-03-14T10:00:10Z", last: "2026-03-14T10:04:00Z"}}
      - {{type: Normal, reason: Pulled, object: Pod/{HEALTHY},
         message: Container image already present on machine, first: "2026-03-14T09:58:50Z"}}
      - {{type: Normal, reason: ScalingReplicaSet, object: Deployment/checkout,
         message: Scaled up replica set checkout-7c9d5f6b8 to 1, first: "2026-03-14T09:58:00Z"}}
  payments:
    pods:
      - {{name: pay-0, labels: {{app: pay}}, containers: [{{name: pay, image: "pay:1"}}]}}
"""
LOGS = f"""
- labels: {{namespace: shop, pod: {CRASHING}, container: app}}
  lines:
    - 2026-03-14T09:58:31Z booting
    - "2026-03-14T10:02:40Z java.lang.OutOfMemoryError: Java heap space"
    - 2026-03-14T10:03:00.250Z booting again
- labels: {{namespace: shop, pod: {HEALTHY}, container: app}}
  lines:
    - 2026-03-14T09:58:50Z from the run before
    - 2026-03-14T09:59:01Z serving
    - 2026-03-14T10:00:00Z GET /health 200
    - 2026-03-14T10:30:00Z after now
- labels: {{namespace: payments, app: pay}}
  lines: [2026-03-14T10:00:00Z paid]
"""


def standin() -> KubernetesStandIn:
    logs = [LogStream.model_validate(s) for s in yaml.safe_load(LOGS)]
    spec = KubernetesSpec.model_validate(yaml.safe_load(CLUSTER))
    return KubernetesStandIn(spec, TOKEN, NOW, logs)


def api_client(url: str, token: str | None = TOKEN) -> ApiClient:
    conf = Configuration(host=url)
    if token is not None:
        conf.api_key = {"BearerToken": token}
        conf.api_key_prefix = {"BearerToken": "Bearer"}
    return ApiClient(conf)


@pytest.fixture(scope="module")
def cluster() -> Iterator[ApiClient]:
    with standin() as k8s:
        client = api_client(k8s.url)
        yield client
        client.close()


@pytest.fixture
def fresh() -> Iterator[tuple[KubernetesStandIn, ApiClient]]:
    with standin() as k8s:
        client = api_client(k8s.url)
        yield k8s, client
        client.close()


def status_of(exc: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.value.body)
    assert body["kind"] == "Status" and body["code"] == exc.value.status
    return body


# --- pods ------------------------------------------------------------------------------------


def test_list_pods_by_namespace_label_and_field(cluster: ApiClient) -> None:
    core = CoreV1Api(cluster)
    names = [p.metadata.name for p in core.list_namespaced_pod("shop").items]
    assert names == [CRASHING, HEALTHY, OLD, "cart-5d6f7a8b9c-abcde"]
    assert len(core.list_pod_for_all_namespaces().items) == 5
    checkout = core.list_namespaced_pod("shop", label_selector="app=checkout,pod-template-hash")
    assert len(checkout.items) == 3
    both = core.list_pod_for_all_namespaces(label_selector="app in (cart, pay),!missing")
    assert sorted(p.metadata.name for p in both.items) == ["cart-5d6f7a8b9c-abcde", "pay-0"]
    on_b = core.list_namespaced_pod("shop", field_selector="spec.nodeName=node-b")
    assert [p.metadata.name for p in on_b.items] == ["cart-5d6f7a8b9c-abcde"]
    running = core.list_namespaced_pod("shop", field_selector="status.phase!=Pending")
    assert len(running.items) == 3
    assert core.list_namespaced_pod("nowhere").items == []


def test_a_crashing_pod_reads_like_the_api_server_shows_it(cluster: ApiClient) -> None:
    pod = CoreV1Api(cluster).read_namespaced_pod(CRASHING, "shop")
    assert pod.kind == "Pod" and pod.metadata.namespace == "shop"
    assert pod.metadata.uid and pod.metadata.resource_version
    assert pod.metadata.creation_timestamp == datetime(2026, 3, 14, 9, 58, 5, tzinfo=UTC)
    [owner] = pod.metadata.owner_references
    assert (owner.kind, owner.name) == ("ReplicaSet", "checkout-7c9d5f6b8")
    assert pod.metadata.labels["pod-template-hash"] == "7c9d5f6b8"
    assert pod.spec.node_name == "node-a"
    app, envoy = pod.status.container_statuses
    assert app.state.waiting.reason == "CrashLoopBackOff" and app.state.running is None
    assert (app.restart_count, app.ready, app.started) == (4, False, False)
    last = app.last_state.terminated
    assert (last.reason, last.exit_code) == ("OOMKilled", 137)
    assert last.finished_at == datetime(2026, 3, 14, 10, 2, 41, tzinfo=UTC)
    assert envoy.state.running.started_at == datetime(2026, 3, 14, 9, 58, 10, tzinfo=UTC)
    assert pod.spec.containers[0].resources.limits == {"memory": "512Mi"}
    ready = {c.type: c.status for c in pod.status.conditions}
    assert ready["Ready"] == "False" and ready["PodScheduled"] == "True"


def test_pod_logs(cluster: ApiClient) -> None:
    core = CoreV1Api(cluster)
    previous = core.read_namespaced_pod_log(CRASHING, "shop", container="app", previous=True)
    assert previous == "booting\njava.lang.OutOfMemoryError: Java heap space\n"
    current = core.read_namespaced_pod_log(HEALTHY, "shop", container="app")
    assert current == "serving\nGET /health 200\n"  # since it started, nothing after now
    tail = core.read_namespaced_pod_log(
        CRASHING, "shop", container="app", tail_lines=1, timestamps=True
    )
    assert tail == "2026-03-14T10:03:00.25Z booting again\n"
    recent = core.read_namespaced_pod_log(HEALTHY, "shop", container="app", since_seconds=1230)
    assert recent == "GET /health 200\n"
    assert core.read_namespaced_pod_log(HEALTHY, "shop", container="envoy") == ""
    assert core.read_namespaced_pod_log("pay-0", "payments") == "paid\n"  # by app label


@pytest.mark.parametrize(
    ("pod", "kwargs", "message"),
    [
        (CRASHING, {}, f"must be specified for pod {CRASHING}, choose one of: [app envoy]"),
        (CRASHING, {"container": "db"}, f"container db is not valid for pod {CRASHING}"),
        (HEALTHY, {"container": "app", "previous": True}, 'previous terminated container "app"'),
        ("cart-5d6f7a8b9c-abcde", {}, "is waiting to start: ImagePullBackOff"),
    ],
)  # fmt: skip
def test_pod_log_errors(cluster: ApiClient, pod: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ApiException) as exc:
        CoreV1Api(cluster).read_namespaced_pod_log(pod, "shop", **kwargs)
    assert exc.value.status == 400
    assert message in status_of(exc)["message"]


# --- events and nodes ------------------------------------------------------------------------


def test_events_by_field_selector(cluster: ApiClient) -> None:
    core = CoreV1Api(cluster)
    [event] = core.list_namespaced_event(
        "shop", field_selector=f"involvedObject.name={CRASHING}"
    ).items
    assert (event.type, event.reason, event.count) == ("Warning", "BackOff", 9)
    assert event.involved_object.kind == "Pod"
    assert event.involved_object.uid == core.read_namespaced_pod(CRASHING, "shop").metadata.uid
    assert event.last_timestamp == datetime(2026, 3, 14, 10, 4, tzinfo=UTC)
    assert event.source.component == "kubelet" and event.source.host == "node-a"
    warnings = core.list_event_for_all_namespaces(field_selector="type=Warning")
    assert [e.reason for e in warnings.items] == ["BackOff"]
    kinds = core.list_namespaced_event("shop", field_selector="involvedObject.kind=Deployment")
    assert [e.source.component for e in kinds.items] == ["deployment-controller"]
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_event("shop", field_selector="color=red")
    assert exc.value.status == 400 and "field label not supported" in status_of(exc)["message"]


def test_events_k8s_io_v1(cluster: ApiClient) -> None:
    listed = EventsV1Api(cluster).list_namespaced_event(
        "shop", field_selector=f"regarding.name={CRASHING}"
    )
    [event] = listed.items
    assert event.note == "Back-off restarting failed container app"
    assert event.regarding.name == CRASHING and event.series.count == 9
    assert event.event_time == datetime(2026, 3, 14, 10, 0, 10, tzinfo=UTC)


def test_nodes(cluster: ApiClient) -> None:
    core = CoreV1Api(cluster)
    nodes = {n.metadata.name: n for n in core.list_node().items}
    assert set(nodes) == {"node-a", "node-b"}
    a, b = nodes["node-a"], nodes["node-b"]
    assert a.status.allocatable == {"cpu": "4", "memory": "15Gi"}
    assert a.metadata.labels["topology.kubernetes.io/zone"] == "eu-west-1a"
    assert b.spec.unschedulable is True
    assert {t.key for t in b.spec.taints} == {
        "node.kubernetes.io/disk-pressure", "node.kubernetes.io/unschedulable"
    }  # fmt: skip
    pressure = next(c for c in b.status.conditions if c.type == "DiskPressure")
    assert (pressure.status, pressure.reason) == ("True", "KubeletHasDiskPressure")
    assert core.read_node("node-a").metadata.name == "node-a"
    assert [
        n.metadata.name for n in core.list_node(field_selector="spec.unschedulable=true").items
    ] == ["node-b"]


# --- deployments and replica sets ------------------------------------------------------------


def test_deployments(cluster: ApiClient) -> None:
    apps = AppsV1Api(cluster)
    dep = apps.read_namespaced_deployment("checkout", "shop")
    assert dep.metadata.annotations == {
        "deployment.kubernetes.io/revision": "12",
        "kubernetes.io/change-cause": "deploy 1.42.0 (a1b2c3d)",
    }
    assert dep.spec.replicas == 3 and dep.spec.selector.match_labels == {"app": "checkout"}
    app, envoy = dep.spec.template.spec.containers
    assert (app.name, app.image, envoy.image) == (
        "app",
        "registry/checkout:1.42.0",
        "envoyproxy/envoy:v1.29",
    )
    assert app.env[0].name == "MODE" and app.resources.limits == {"memory": "512Mi"}
    assert (dep.status.ready_replicas, dep.status.unavailable_replicas) == (1, 2)
    assert dep.status.conditions[0].reason == "MinimumReplicasUnavailable"
    assert [
        d.metadata.name
        for d in apps.list_namespaced_deployment("shop", label_selector="team=pay").items
    ] == ["checkout"]
    assert len(apps.list_deployment_for_all_namespaces().items) == 2


def test_replicasets_one_per_revision(cluster: ApiClient) -> None:
    apps = AppsV1Api(cluster)
    dep = apps.read_namespaced_deployment("checkout", "shop")
    listed = apps.list_namespaced_replica_set("shop", label_selector="app=checkout").items
    by_rev = {
        int(rs.metadata.annotations["deployment.kubernetes.io/revision"]): rs for rs in listed
    }
    assert sorted(by_rev) == [11, 12]
    old, current = by_rev[11], by_rev[12]
    assert (old.metadata.name, current.metadata.name) == (
        "checkout-6b8d4c7f9",
        "checkout-7c9d5f6b8",
    )
    assert old.metadata.annotations["kubernetes.io/change-cause"] == "deploy 1.41.0"
    assert old.spec.template.spec.containers[0].image == "registry/checkout:1.41.0"
    assert current.metadata.labels["pod-template-hash"] == "7c9d5f6b8"
    assert current.spec.selector.match_labels == {
        "app": "checkout",
        "pod-template-hash": "7c9d5f6b8",
    }
    [owner] = current.metadata.owner_references
    assert (owner.kind, owner.name, owner.uid) == ("Deployment", "checkout", dep.metadata.uid)
    assert (old.spec.replicas, current.spec.replicas) == (1, 3)  # one old pod still runs


def test_list_paging(cluster: ApiClient) -> None:
    core = CoreV1Api(cluster)
    first = core.list_namespaced_pod("shop", limit=3)
    assert len(first.items) == 3 and first.metadata._continue
    rest = core.list_namespaced_pod("shop", limit=3, _continue=first.metadata._continue)
    assert [p.metadata.name for p in rest.items] == ["cart-5d6f7a8b9c-abcde"]
    assert rest.metadata._continue is None


# --- writes ----------------------------------------------------------------------------------


def revisions(apps: AppsV1Api) -> dict[str, str]:
    """The checkout ReplicaSets by name, with their revision annotation."""
    listed = apps.list_namespaced_replica_set("shop", label_selector="app=checkout").items
    return {rs.metadata.name: rs.metadata.annotations[REVISION] for rs in listed}


def test_rollout_restart_makes_a_new_revision(fresh: tuple[KubernetesStandIn, ApiClient]) -> None:
    k8s, client = fresh
    apps = AppsV1Api(client)
    stamp = "2026-03-14T10:21:00Z"
    body = {
        "spec": {
            "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}
        }
    }
    dep = apps.patch_namespaced_deployment("checkout", "shop", body)
    assert dep.metadata.annotations["deployment.kubernetes.io/revision"] == "13"
    assert dep.spec.template.metadata.annotations == {"kubectl.kubernetes.io/restartedAt": stamp}
    assert dep.spec.template.spec.containers[0].image == "registry/checkout:1.42.0"
    assert dep.metadata.generation == dep.status.observed_generation == 3
    assert sorted(revisions(apps).values()) == ["11", "12", "13"]
    [write] = k8s.writes
    assert (write.kind, write.namespace, write.name, write.revision) == (
        "restart_deployment",
        "shop",
        "checkout",
        13,
    )
    assert write.content_type == "application/strategic-merge-patch+json" and write.body == body
    served = httpx.get(f"{k8s.url}/_world/writes").json()  # no token needed
    assert served[0]["kind"] == "restart_deployment" and served[0]["path"].endswith(
        "/deployments/checkout"
    )


def test_rollout_undo_as_kubectl_does_it(fresh: tuple[KubernetesStandIn, ApiClient]) -> None:
    k8s, client = fresh
    apps = AppsV1Api(client)
    sets = apps.list_namespaced_replica_set("shop", label_selector="app=checkout").items
    previous = next(
        rs for rs in sets if rs.metadata.annotations["deployment.kubernetes.io/revision"] == "11"
    )
    template = client.sanitize_for_serialization(previous.spec.template)
    del template["metadata"]["labels"]["pod-template-hash"]
    annotations = {
        "deployment.kubernetes.io/revision": "12",
        "kubernetes.io/change-cause": "deploy 1.41.0",
    }
    patch = [{"op": "replace", "path": "/spec/template", "value": template},
             {"op": "replace", "path": "/metadata/annotations", "value": annotations}]  # fmt: skip
    dep = apps.patch_namespaced_deployment("checkout", "shop", patch)
    assert dep.spec.template.spec.containers[0].image == "registry/checkout:1.41.0"
    assert dep.metadata.annotations == {
        "deployment.kubernetes.io/revision": "13", "kubernetes.io/change-cause": "deploy 1.41.0"
    }  # fmt: skip
    after = revisions(apps)
    assert after == {"checkout-6b8d4c7f9": "13", "checkout-7c9d5f6b8": "12"}  # the old RS is reused
    [write] = k8s.writes
    assert (write.kind, write.revision) == ("rollback_deployment", 13)
    assert write.content_type == "application/json-patch+json"


def test_scale_through_the_subresource_and_a_merge_patch(
    fresh: tuple[KubernetesStandIn, ApiClient],
) -> None:
    k8s, client = fresh
    apps = AppsV1Api(client)
    scale = apps.patch_namespaced_deployment_scale("checkout", "shop", {"spec": {"replicas": 5}})
    assert scale.kind == "Scale" and scale.spec.replicas == 5
    assert apps.read_namespaced_deployment("checkout", "shop").spec.replicas == 5
    body = V1Scale(metadata=scale.metadata, spec=V1ScaleSpec(replicas=2))
    assert apps.replace_namespaced_deployment_scale("checkout", "shop", body).spec.replicas == 2
    merged = apps.patch_namespaced_deployment(
        "cart", "shop", {"spec": {"replicas": 0}}, _content_type="application/merge-patch+json"
    )
    assert merged.spec.replicas == 0
    assert apps.read_namespaced_deployment_scale("cart", "shop").spec.replicas == 0
    assert [(w.kind, w.name, w.replicas) for w in k8s.writes] == [
        ("scale_deployment", "checkout", 5),
        ("scale_deployment", "checkout", 2),
        ("scale_deployment", "cart", 0),
    ]
    with pytest.raises(ApiException) as exc:
        apps.patch_namespaced_deployment_scale("checkout", "shop", {"spec": {"replicas": -1}})
    assert exc.value.status == 422 and status_of(exc)["reason"] == "Invalid"


def test_dry_run_changes_nothing(fresh: tuple[KubernetesStandIn, ApiClient]) -> None:
    k8s, client = fresh
    apps = AppsV1Api(client)
    shown = apps.patch_namespaced_deployment(
        "checkout", "shop", {"spec": {"replicas": 9}}, dry_run="All"
    )
    assert shown.spec.replicas == 9
    assert apps.read_namespaced_deployment("checkout", "shop").spec.replicas == 3
    assert k8s.writes == []


def test_unsupported_patch_type_is_415(fresh: tuple[KubernetesStandIn, ApiClient]) -> None:
    _, client = fresh
    with pytest.raises(ApiException) as exc:
        AppsV1Api(client).patch_namespaced_deployment(
            "checkout",
            "shop",
            {"spec": {}},
            _content_type="application/apply-patch+yaml",
            field_manager="t",
        )
    assert exc.value.status == 415 and status_of(exc)["reason"] == "UnsupportedMediaType"


# --- errors ----------------------------------------------------------------------------------


def test_not_found_is_a_status_naming_the_kind(cluster: ApiClient) -> None:
    with pytest.raises(ApiException) as exc:
        CoreV1Api(cluster).read_namespaced_pod("nope", "shop")
    body = status_of(exc)
    assert (exc.value.status, body["reason"], body["message"]) == (
        404,
        "NotFound",
        'pods "nope" not found',
    )
    assert body["details"] == {"name": "nope", "kind": "pods"}
    with pytest.raises(ApiException) as exc:
        AppsV1Api(cluster).read_namespaced_deployment("nope", "shop")
    assert status_of(exc)["message"] == 'deployments.apps "nope" not found'
    with pytest.raises(ApiException) as exc:
        CoreV1Api(cluster).read_node("node-z")
    assert status_of(exc)["message"] == 'nodes "node-z" not found'


@pytest.mark.parametrize("token", ["wrong-token", None])
def test_requests_without_the_token_are_401(token: str | None) -> None:
    with standin() as k8s:
        client = api_client(k8s.url, token)
        with pytest.raises(ApiException) as exc:
            CoreV1Api(client).list_namespaced_pod("shop")
        client.close()
        assert exc.value.status == 401
        assert status_of(exc)["reason"] == "Unauthorized"
        with pytest.raises(ApiException) as exc:
            AppsV1Api(api_client(k8s.url, token)).patch_namespaced_deployment_scale(
                "checkout", "shop", {"spec": {"replicas": 0}}
            )
        assert exc.value.status == 401 and k8s.writes == []
