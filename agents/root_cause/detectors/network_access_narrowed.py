"""Network access narrowed: a firewall, security group or network policy change that stops
traffic a workload still sends or receives, so that its connections time out (the packets
are dropped, nothing refuses them) or its DNS lookups fail.

Catches, comparing the old and the new side of each file that declares network rules
(Terraform security groups and firewall rules of any cloud, Kubernetes and Cilium
NetworkPolicies, firewall rules in YAML or JSON):
- an allow-all rule removed (`0.0.0.0/0` or `::/0` for every protocol and port) where what
  stays is narrower (some ports, some address ranges);
- address ranges (CIDRs) no longer allowed and not covered by a range that stays;
- a NetworkPolicy added to a file that had none: the pods it selects lose all traffic of its
  policy types that it does not list.

Ignores widening (rules or ranges added, ports opened), rules rewritten with the same ranges,
address ranges in files that declare no network rules (a VPC's subnets, a rate limiter's
allow-list), comments, docs and tests.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "network_access_narrowed"
SYMPTOMS = ("timeouts", "connections", "availability", "dns", "errors")

_RULES = re.compile(
    r"security_group|securitygroup|firewall|network_?acl|\bnacl\b|kind:\s*\w*NetworkPolicy|"
    r"\bipBlock\b|\bcidr_?(blocks|ipv4|ipv6)?\b|source_?ranges|destination_?ranges",
    re.I,
)
_CIDR = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3}/\d{1,2}|::/0)(?![\d.])")
_ANY = {"0.0.0.0/0", "::/0"}
# where one rule starts: a resource, a nested ingress/egress/allow block, a list entry
_START = re.compile(r"^\s*(resource\s+\"|(ingress|egress|allow|deny|rule)\s*\{|-\s+\S|"
                    r"\{\s*$)")  # fmt: skip
_ALL_PROTOCOLS = re.compile(r"protocol\"?\s*[:=]\s*\"?(-1|all|any|\*)\"?", re.I)
_PORT = re.compile(r"\b(?:from_?port|to_?port|port|ports|destination_?port_?range)\"?\s*[:=]"
                   r"\s*\[?\s*\"?(\d{1,5})", re.I)  # fmt: skip
_EVERY_PORT = re.compile(r"\bfrom_?port\"?\s*[:=]\s*0\b", re.I)
_OPEN_LIST = re.compile(r"^\s*-\s*\{\s*\}\s*$|(egress|ingress)\"?\s*:\s*\[\s*\{\s*\}\s*\]")
_POLICY = re.compile(r"kind:\s*(Cilium)?NetworkPolicy\b")
_DIRECTION = re.compile(r"(?<![a-z])(egress|ingress|outbound|inbound)(?![a-z])", re.I)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*)")
SHOWN = 4


@dataclass
class _Side:
    ranges: set[str] = field(default_factory=set)
    allow_all: bool = False
    ports: list[str] = field(default_factory=list)
    policies: int = 0


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if kinds.file_kind(file, patch) == "docs_tests" or not _RULES.search(patch):
            continue
        lines = [d for d in diff.parse(patch) if not _COMMENT.match(d.text)]
        old = _side([d.text for d in lines if d.sign != "+"])
        new = _side([d.text for d in lines if d.sign != "-"])
        parts = _narrowed(old, new)
        if not parts:
            continue
        first = next((d.new or d.old for d in lines if d.sign in "+-"), None)
        way = "/".join(sorted({"egress" if w.lower() in ("egress", "outbound") else "ingress"
                               for d in lines if d.sign in "+-"
                               for w in _DIRECTION.findall(d.text)})) or "network"  # fmt: skip
        found.append(Finding(
            NAME, f"{way} access narrowed: {'; '.join(parts)}: connections it no longer "
            "allows are dropped and time out", file, first, SYMPTOMS, strength=0.6,
        ))  # fmt: skip
    return found


def _side(lines: list[str]) -> _Side:
    out = _Side()
    rules: list[list[str]] = [[]]
    for text in lines:
        if _START.match(text) and rules[-1]:
            rules.append([])
        rules[-1].append(text)
        out.ranges.update(m.group(1) for m in _CIDR.finditer(text))
        out.ports += [p for p in (m.group(1) for m in _PORT.finditer(text)) if p not in out.ports]
        out.policies += bool(_POLICY.search(text))
    out.allow_all = any(_open(rule) for rule in rules)
    return out


def _open(rule: list[str]) -> bool:
    """A rule that lets everything through: any address, every protocol or every port."""
    text = "\n".join(rule)
    if _OPEN_LIST.search(text):
        return True
    if not any(m.group(1) in _ANY for m in _CIDR.finditer(text)):
        return False
    return bool(_ALL_PROTOCOLS.search(text) or _EVERY_PORT.search(text)
                or not _PORT.search(text))  # fmt: skip


def _narrowed(old: _Side, new: _Side) -> list[str]:
    parts: list[str] = []
    if old.allow_all and not new.allow_all and (new.ranges or new.ports):
        ports = [p for p in new.ports if p not in old.ports] or new.ports
        only = f" (ports {', '.join(ports[:SHOWN])}{' …' if len(ports) > SHOWN else ''})"
        parts.append(f"an allow-all rule replaced by narrower ones{only if ports else ''}")
    lost = sorted(r for r in old.ranges - new.ranges - _ANY if not _covered(r, new.ranges))
    if lost and (new.ranges or new.ports):
        parts.append(f"ranges {', '.join(lost[:SHOWN])} no longer allowed")
    if new.policies > old.policies:
        parts.append("a NetworkPolicy added: the pods it selects lose traffic it does not list")
    return parts


def _covered(cidr: str, ranges: set[str]) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    for other in ranges:
        try:
            wider = ipaddress.ip_network(other, strict=False)
        except ValueError:
            continue
        if net.version == wider.version and net.subnet_of(wider):  # type: ignore[arg-type]
            return True
    return False
