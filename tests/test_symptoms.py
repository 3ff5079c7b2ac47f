"""Symptom families read from an incident's texts (agents/root_cause/symptoms.py)."""

from __future__ import annotations

from agents.root_cause.symptoms import families


def test_a_symptom_a_page_says_did_not_happen_is_no_symptom() -> None:
    assert "memory" not in families(["exit code 1, 44 of 44 terminations · no OOMKilled"])
    assert "crash" not in families(["pods Ready, 0 restarts in 24 h"])
    assert "timeouts" not in families(["p99 410 ms, no timeouts"])
    assert "memory" in families(["container app OOMKilled (exit code 137)"])
    assert "crash" in families(["Back-off restarting failed container, 9 restarts"])


def test_a_pods_resources_shown_beside_a_failure_are_not_a_memory_symptom() -> None:
    shown = "exited with code 1; memory limit 512Mi, memory request 320Mi"
    assert "memory" not in families([shown])
    assert "memory" in families(["memory limit exceeded"])
    assert "memory" in families(["container_memory_working_set_bytes 498Mi of 512Mi"])


def test_pods_that_cannot_be_placed_are_a_scheduling_symptom() -> None:
    for text in ["0/12 nodes are available: 12 Insufficient memory",
                 "pod checkout-7f9 Pending: FailedScheduling",
                 'pods "api-1" is forbidden: exceeded quota: compute-resources']:  # fmt: skip
        assert "scheduling" in families([text]), text
    for text in ["vendor quota exceeded for the month", "ready 6/6, 0 pending jobs"]:
        assert "scheduling" not in families([text]), text


def test_a_replicas_lag_is_stale_data_not_a_queue() -> None:
    for text in ["replica-2 lag 0.3 → 412 s", "replication lag 40 s", "replica lag rising"]:
        assert "data" in families([text]) and "queue" not in families([text]), text
    assert "queue" in families(["consumer lag 48,000 messages"])
    assert "queue" not in families(["feature flag checkout_v2 turned on"])  # not a word's tail
