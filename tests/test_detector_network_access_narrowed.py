"""network_access_narrowed: firewall, security group or network policy rules that stop
traffic a workload still sends or receives."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import network_access_narrowed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return network_access_narrowed.detect(change_facts("PR #1", list(patches), patches))


# --- hits ------------------------------------------------------------------------------------


def test_an_allow_all_egress_rule_replaced_by_port_rules() -> None:
    patch = """\
@@ -10,9 +10,17 @@ resource "aws_security_group" "api" {
-resource "aws_vpc_security_group_egress_rule" "all" {
-  security_group_id = aws_security_group.api.id
-  ip_protocol       = "-1"
-  cidr_ipv4         = "0.0.0.0/0"
-}
+resource "aws_vpc_security_group_egress_rule" "https" {
+  security_group_id = aws_security_group.api.id
+  ip_protocol       = "tcp"
+  from_port         = 443
+  to_port           = 443
+  cidr_ipv4         = "0.0.0.0/0"
+}
+resource "aws_vpc_security_group_egress_rule" "db" {
+  security_group_id = aws_security_group.api.id
+  ip_protocol       = "tcp"
+  from_port         = 5432
+  to_port           = 5432
+  cidr_ipv4         = "10.8.0.0/20"
+}
"""
    [hit] = findings({"envs/prod/api/sg.tf": patch})
    assert hit.message.startswith("egress access narrowed: an allow-all rule replaced")
    assert "443" in hit.message and "5432" in hit.message and "timeouts" in hit.symptoms


def test_a_firewall_source_range_narrowed() -> None:
    patch = """\
@@ -1,9 +1,9 @@
 resource "google_compute_firewall" "workers_to_cache" {
   name    = "workers-to-cache"
   network = google_compute_network.main.id
   allow {
     protocol = "tcp"
     ports    = ["6379"]
   }
-  source_ranges = ["10.20.0.0/16"]
+  source_ranges = ["10.20.4.0/22"]
 }
"""
    [hit] = findings({"infra/firewall.tf": patch})
    assert "ranges 10.20.0.0/16 no longer allowed" in hit.message


def test_an_ip_block_dropped_from_a_network_policy() -> None:
    patch = """\
@@ -8,10 +8,7 @@ spec:
   policyTypes: [Egress]
   egress:
     - to:
         - ipBlock:
             cidr: 172.16.0.0/16
-        - ipBlock:
-            cidr: 192.168.10.0/24
       ports:
         - port: 443
"""
    [hit] = findings({"deploy/netpol.yaml": patch})
    assert "192.168.10.0/24" in hit.message


def test_a_network_policy_added_where_there_was_none() -> None:
    patch = """\
@@ -0,0 +1,12 @@
+apiVersion: networking.k8s.io/v1
+kind: NetworkPolicy
+metadata:
+  name: payments-egress
+spec:
+  podSelector: {matchLabels: {app: payments}}
+  policyTypes: [Egress]
+  egress:
+    - to:
+        - namespaceSelector: {matchLabels: {name: db}}
+      ports:
+        - port: 5432
"""
    [hit] = findings({"k8s/payments/netpol.yaml": patch})
    assert "a NetworkPolicy added" in hit.message


# --- no hits ---------------------------------------------------------------------------------


def test_a_rule_added_widens_access() -> None:
    patch = """\
@@ -1,6 +1,13 @@
 resource "aws_security_group_rule" "db" {
   type        = "egress"
   from_port   = 5432
   to_port     = 5432
   protocol    = "tcp"
   cidr_blocks = ["10.8.0.0/20"]
 }
+resource "aws_security_group_rule" "cache" {
+  type        = "egress"
+  from_port   = 6379
+  to_port     = 6379
+  protocol    = "tcp"
+  cidr_blocks = ["10.9.0.0/20"]
+}
"""
    assert findings({"sg.tf": patch}) == []


def test_a_range_replaced_by_a_wider_one() -> None:
    patch = """\
@@ -1,4 +1,4 @@
 resource "google_compute_firewall" "internal" {
-  source_ranges = ["10.20.4.0/22"]
+  source_ranges = ["10.20.0.0/16"]
   allow { protocol = "tcp" }
 }
"""
    assert findings({"firewall.tf": patch}) == []


@pytest.mark.parametrize(
    ("file", "patch"),
    [
        # subnets of a VPC: address ranges, but no rule that lets traffic through
        ("network/vpc.tf", '@@ -1,3 +1,3 @@\n resource "aws_subnet" "a" {\n'
         '-  cidr_block = "10.0.0.0/20"\n+  cidr_block = "10.0.0.0/22"\n }\n'),
        # the same rule rewritten: the same ranges and ports on both sides
        ("sg.tf", '@@ -1,3 +1,3 @@\n resource "aws_security_group_rule" "db" {\n'
         '-  cidr_blocks = ["10.8.0.0/20"] # db\n+  cidr_blocks = ["10.8.0.0/20"]\n }\n'),
        # a runbook that quotes a security group change
        ("docs/network.md", '@@ -1,2 +1,1 @@\n security_group: allow\n'
         '-cidr_blocks = ["0.0.0.0/0"]\n'),
    ],
)  # fmt: skip
def test_no_narrowing(file: str, patch: str) -> None:
    assert findings({file: patch}) == []
