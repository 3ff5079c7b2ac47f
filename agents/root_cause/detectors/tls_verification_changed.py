"""TLS verification or trust changed: verification turned off, the CA bundle or trust store
moved or gone, `sslmode` changed, the minimum TLS version raised, a certificate removed from
a bundle, or an image that no longer carries CA certificates. Handshakes that worked now fail
(unknown issuer, protocol version), or traffic stops being verified.

Catches in added, removed and changed lines of code, config, manifests and Dockerfiles:
- verification turned off: `verify=False`, `CERT_NONE`, `check_hostname = False`,
  `InsecureSkipVerify: true`, `insecure_skip_verify: true`, `rejectUnauthorized: false`,
  `NODE_TLS_REJECT_UNAUTHORIZED=0`, `VERIFY_NONE`, `NoopHostnameVerifier`, trust-all managers,
  `curl -k`/`--insecure`, `--no-check-certificate`, `sslmode=disable`;
- a TLS setting changed or removed (paired by key within a hunk): `sslmode`/`ssl-mode`
  (reported weakened or strengthened), CA bundle and trust store paths (`ca_file`, `cafile`,
  `sslrootcert`, `REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`,
  `javax.net.ssl.trustStore`...), verification switches turned on or off, the minimum TLS
  version raised (`MinVersion`, `minVersion`, `ssl_min_protocol_version`, `ssl_protocols`);
- removed trust material: `ca-certificates` no longer installed or copied between build
  stages, a CA/intermediate/chain file or `/etc/ssl/certs` mount no longer referenced,
  PEM certificates removed from a bundle; a final stage rebased on `scratch` without CA
  certificates; a build split into stages that leaves the step adding a CA to the trust
  store (`update-ca-certificates`, `update-ca-trust`, `keytool -import` into `cacerts`, a
  copy into the anchors directory) in a build stage that the final stage does not copy
  from, where it used to run in the final image.

Ignores a minimum TLS version lowered, unrelated settings of TLS files (cipher order,
certificate renewal that swaps one PEM block for another), a line moved unchanged,
comments, docs and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "tls_verification_changed"
SYMPTOMS = ("tls", "errors", "availability")
_I = re.I

_TLSISH = re.compile(  # every pattern below needs one of these words: a cheap first pass
    r"ssl|tls|verif|cert|insecure|reject|trust|hostname|curl|wget|strict|ca[_-]?(bundle|file|path)|"
    r"cafile|capath|root_?cas|min_?(tls_?)?version|minversion|protocol|pki|\.pem|\.crt|\.cer|"
    r"chain|root-?ca|\bca\.|scratch",
    _I,
)
_DISABLES = re.compile(
    r"\bverify\s*=\s*False\b|\bverify_?(ssl|certs?|peer|tls)\s*[:=]\s*[\"']?(false|0|no)\b|"
    r"\bssl_?verify(_peer)?\s*[:=]\s*[\"']?(false|0|no)\b|check_hostname\s*=\s*False|CERT_NONE\b|"
    r"_create_unverified_context|InsecureSkipVerify\s*:\s*true|insecure_?skip_?(tls_?)?verify\s*"
    r"[:=]\s*[\"']?true|skip_?(tls_?|ssl_?)verify\s*[:=]\s*[\"']?true|tls_?skip_?verify\s*[:=]\s*"
    r"[\"']?true|rejectUnauthorized\s*:\s*false|reject_unauthorized\s*[:=]\s*false|"
    r"NODE_TLS_REJECT_UNAUTHORIZED\s*[:=]\s*[\"']?0|VERIFY_NONE\b|NoopHostnameVerifier|"
    r"ALLOW_ALL_HOSTNAME_VERIFIER|TrustAll\w*|trustAll\w*|InsecureTrustManagerFactory|"
    r"TrustSelfSignedStrategy|HostnameVerifier\W.*->\s*true|hostnameVerifier\s*\{[^}]*->\s*true|"
    r"\bcurl\b[^#\n]*\s(-k|--insecure)\b|--no-check-certificate|GIT_SSL_NO_VERIFY|"
    r"PYTHONHTTPSVERIFY\s*[:=]\s*[\"']?0|strict[-_]ssl\s*[:=\s]\s*[\"']?false|"
    r"sslmode\s*[:=]\s*[\"']?disable\b|ssl-?mode\s*[:=]\s*[\"']?DISABLED\b|sslVerify\s*[:=]\s*false",
    _I,
)
_NOT_TLS = re.compile(r"jwt|signature|checksum|hmac|gpg|\bsig\b|webhook_?secret", _I)
_PAIR = re.compile(
    r"(?P<key>[A-Za-z_][\w.-]*)[\"']?\s*(?:=>|[:=])\s*(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;&?)}\]]+)"
)
_ENV_SPACE = re.compile(r"^\s*ENV\s+(?P<key>\w+)\s+(?P<value>[^=\s]+)\s*$")
_PROTOCOLS = re.compile(r"\b(?P<key>ssl_protocols)\s+(?P<value>[^;{]+);")
_SSLMODE = re.compile(r"^(ssl_?mode|ssl-mode)$", _I)
_CA = re.compile(
    r"ssl_?root_?cert|ca_?(bundle|file|cert|certs|path|pem)s?$|^cafile$|^capath$|ssl_?ca$|"
    r"tls_?ca(_?file)?$|trusted_?ca|root_?cas$|trust_?store(_?(path|location|file))?$|"
    r"requests_?ca_?bundle|ssl_?cert_?(file|dir)|node_?extra_?ca_?certs|curl_?ca_?bundle|"
    r"aws_?ca_?bundle|ssl_?roots_?file|certificate_?authority",
    _I,
)
_MIN_VERSION = re.compile(r"min_?(tls_?)?version|ssl_?min_?protocol|minimum_?protocol|"
                          r"min_?protocol|ssl_protocols|enabled_?protocols$", _I)  # fmt: skip
_VERIFY = re.compile(r"^(verify|verify_?(ssl|certs?|peer|mode|tls|hostname)|ssl_?verify(_?peer)?|"
                     r"insecure(_?skip_?(tls_?)?verify)?|skip_?(tls_?|ssl_?)?verify|tls_?skip_?verify|"
                     r"reject_?unauthorized|strict_?ssl|check_?hostname)$", _I)  # fmt: skip
_NEGATIVE = re.compile(r"insecure|skip", _I)
_SSLMODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
_MYSQL_MODES = ["disabled", "preferred", "required", "verify_ca", "verify_identity"]
_TRUST_MATERIAL = re.compile(
    r"ca-certificates|/etc/ssl/certs|/etc/pki/|/usr/local/share/ca-certificates|ca-bundle|"
    r"\bcacerts\b|truststore|trust-store|intermediate[\w.-]*\.(pem|crt|cer)\b|\bchain\.(pem|crt)|"
    r"fullchain|root-?ca\b|"
    r"\bca\.(crt|pem)\b|ca-cert",
    _I,
)
_COMMENT = re.compile(r"^\s*(#(?!!)|//|/\*|\*|--\s|;)")
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", _I)


@dataclass(frozen=True)
class Setting:
    key: str
    value: str
    line: diff.DiffLine
    index: int


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if not _TLSISH.search(patch) or file_kind(file, patch) == "docs_tests":
            continue
        lines = diff.parse(patch)
        hits: dict[int | None, Finding] = {}
        for finding in [*_disabled(file, lines), *_settings(file, lines)]:
            known = hits.get(finding.line)  # one line, read both ways: keep the stronger
            if known is None or finding.strength > known.strength:
                hits[finding.line] = finding
        found += hits.values()
        found += [*_removed_trust(file, lines), *_pem(file, patch), *_scratch(file, lines),
                  *_trust_left_behind(file, lines)]  # fmt: skip
    return found


def _finding(file: str, line: int | None, message: str, strength: float) -> Finding:
    return Finding(NAME, message, file, line, SYMPTOMS, strength)


def _disabled(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    gone = {_squash(d.text) for d in lines if d.sign == "-"}
    out = []
    for d in lines:
        if d.sign != "+" or not _TLSISH.search(d.text) or _COMMENT.match(d.text):
            continue
        if _squash(d.text) in gone or _NOT_TLS.search(d.text):
            continue
        found = _DISABLES.search(d.text)
        if found:
            out.append(
                _finding(
                    file, d.new, f"TLS verification turned off: `{found.group(0).strip()}`", 0.7
                )
            )
    return out


def _settings(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """TLS settings changed, removed or set, paired by key within each hunk."""
    before: dict[tuple[int, str], Setting] = {}
    after: dict[tuple[int, str], Setting] = {}
    for i, d in enumerate(lines):
        if d.sign == " " or not _TLSISH.search(d.text) or _COMMENT.match(d.text):
            continue
        for key, value in _tls_pairs(d.text):
            slot = (d.hunk, _norm(key))
            (before if d.sign == "-" else after).setdefault(slot, Setting(key, value, d, i))
    out = []
    for slot in dict.fromkeys([*before, *after]):
        old, new = before.get(slot), after.get(slot)
        if old and new and _clean(old.value) == _clean(new.value):
            continue
        judged = _judge(old, new)
        if judged:
            message, strength = judged
            line = new.line.new if new else _new_line(lines, old.index if old else 0)
            out.append(_finding(file, line, message, strength))
    return out


def _judge(old: Setting | None, new: Setting | None) -> tuple[str, float] | None:
    setting = new or old
    if setting is None:
        return None
    key = setting.key
    name = _norm(key)
    was, now = (_clean(s.value) if s else None for s in (old, new))
    if _SSLMODE.match(name):
        return _mode(key, was, now)
    if _CA.search(name):
        if now is None:
            return f"CA bundle / trust store setting `{key}` removed (was {was})", 0.65
        if was is None:
            return f"CA bundle / trust store `{key}` set to {now}", 0.45
        return f"CA bundle / trust store `{key}` changed: {was} → {now}", 0.6
    if _MIN_VERSION.search(name):
        old_min, new_min = _tls_version(was), _tls_version(now)
        if new_min and (old_min is None and new_min >= (1, 3) or old_min and new_min > old_min):
            shown = was if was is not None else "default"
            return (f"minimum TLS version raised: {shown} → {now} (clients and servers without "
                    f"it fail the handshake)", 0.6)  # fmt: skip
        return None
    if _VERIFY.match(name):
        return _verify(key, was, now)
    return None


def _mode(key: str, was: str | None, now: str | None) -> tuple[str, float] | None:
    if was is None or now is None:
        if now is None:
            return f"`{key}` removed (was {was}; the driver default applies)", 0.5
        return None  # newly set: only `disable` matters, and _DISABLES reports it
    for ranks in (_SSLMODES, _MYSQL_MODES):
        if was.lower() in ranks and now.lower() in ranks:
            up = ranks.index(now.lower()) > ranks.index(was.lower())
            if up:
                return (f"`{key}` changed: {was} → {now} (verification strengthened: fails "
                        f"without a trusted CA for the server)", 0.65)  # fmt: skip
            return f"`{key}` changed: {was} → {now} (verification weakened)", 0.55
    return f"`{key}` changed: {was} → {now}", 0.5


def _verify(key: str, was: str | None, now: str | None) -> tuple[str, float] | None:
    if was is None or now is None:
        return None  # set for the first time (_DISABLES sees `off`) or dropped (default: verify)
    negative = bool(_NEGATIVE.search(key))
    old_on, new_on = _truth(was), _truth(now)
    if old_on is None or new_on is None:
        if re.search(r"[/\\]|\.(pem|crt|cer)\b", was + now):  # requests' verify="/path/ca.pem"
            return f"CA bundle passed as `{key}` changed: {was} → {now}", 0.6
        if re.search(r"NONE", now) and not re.search(r"NONE", was):
            return f"TLS verification turned off: `{key}` {was} → {now}", 0.7
        return None
    verifying_before, verifying_after = old_on != negative, new_on != negative
    if verifying_before and not verifying_after:
        return f"TLS verification turned off: `{key}` {was} → {now}", 0.7
    if verifying_after and not verifying_before:
        return (f"TLS verification turned on: `{key}` {was} → {now} (fails on certificates "
                f"that do not chain to a trusted CA)", 0.45)  # fmt: skip
    return None


def _removed_trust(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """CA certificates no longer installed, copied, mounted or referenced."""
    kept = " ".join(d.text for d in lines if d.sign == "+").lower()
    out = []
    for i, d in enumerate(lines):
        if d.sign != "-" or not _TLSISH.search(d.text) or _COMMENT.match(d.text):
            continue
        if _tls_pairs(d.text):
            continue  # a keyed setting is judged by _settings, with its new value
        for found in _TRUST_MATERIAL.finditer(d.text):
            token = found.group(0).lower()
            path = re.search(r"[\w./-]*" + re.escape(found.group(0)) + r"[\w./-]*", d.text)
            target = path.group(0).lower() if path else token
            if token in kept and target in kept:
                continue
            out.append(_finding(file, _new_line(lines, i), f"CA certificates removed: "
                                f"`{d.text.strip()}` (no longer installed, copied or "
                                f"referenced)", 0.65))  # fmt: skip
            break
    return out


def _pem(file: str, patch: str) -> list[Finding]:
    """PEM certificates removed from a bundle (a pinned intermediate or root dropped). Read from
    the raw patch: a removed `-----BEGIN` line starts with `---`, which the diff parser takes
    for a file header."""
    gone: list[int] = []
    came = 0
    new = 0
    for raw in patch.splitlines():
        hunk = re.match(r"^@@ -\d+(?:,\d+)? \+(\d+)", raw)
        if hunk:
            new = int(hunk.group(1))
            continue
        if "BEGIN CERTIFICATE" in raw and raw[:1] == "-":
            gone.append(new)
        elif "BEGIN CERTIFICATE" in raw and raw[:1] == "+":
            came += 1
        if raw[:1] in ("+", " ") and not raw.startswith("+++"):
            new += 1
    if len(gone) <= came:
        return []
    lost = len(gone) - came
    return [_finding(file, gone[0], f"{lost} certificate(s) removed from the bundle "
                     f"({len(gone)} removed, {came} added)", 0.65)]  # fmt: skip


def _scratch(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """A build's final stage moved to `scratch` without copying CA certificates into it."""
    froms = [(d, _FROM.match(d.text)) for d in lines if d.sign != "-"]
    stages = [(d, m.group(1)) for d, m in froms if m]
    if not stages or stages[-1][0].sign != "+" or stages[-1][1].lower() != "scratch":
        return []
    final = stages[-1][0]
    tail = [d.text for d in lines if d.sign != "-" and (d.new or 0) > (final.new or 0)]
    if any(re.search(r"ca-certificates|/etc/ssl|\.pem|\.crt", t, _I) for t in tail):
        return []
    return [_finding(file, final.new, "final image stage is now `scratch` and no CA "
                     "certificates are copied into it", 0.55)]  # fmt: skip


_TRUST_STEP = re.compile(
    r"update-ca-certificates|update-ca-trust|keytool\s+-import|trust\s+anchor|"
    r"^\s*(COPY|ADD)\s.*(/usr/local/share/ca-certificates|/etc/pki/ca-trust/source/anchors|"
    r"/etc/ssl/certs)",
    _I,
)
_TRUST_PATH = re.compile(r"/etc/ssl|/usr/local/share/ca-certificates|/etc/pki|cacerts|"
                         r"/usr/share/ca-certificates", _I)  # fmt: skip
_COPY_FROM = re.compile(r"--from=(\S+)", _I)
_STAGE_NAME = re.compile(r"\sAS\s+(\S+)\s*$", _I)


def _stages(lines: list[diff.DiffLine], side: str) -> list[tuple[diff.DiffLine, list[str]]]:
    """One side of a Dockerfile (`+`: the new file, `-`: the old) as its stages: each FROM
    line and the lines under it."""
    out: list[tuple[diff.DiffLine, list[str]]] = []
    for d in lines:
        if d.sign not in (side, " ") or _COMMENT.match(d.text):
            continue
        if _FROM.match(d.text):
            out.append((d, []))
        elif out:
            out[-1][1].append(d.text)
    return out


def _trust_left_behind(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """A CA added to the trust store in a build stage only, where it used to be added in the
    image that runs: the final stage neither adds it nor copies the trust store from there."""
    new, old = _stages(lines, "+"), _stages(lines, "-")
    if len(new) < 2 or not old or not any(_TRUST_STEP.search(t) for t in old[-1][1]):
        return []
    final_from, final = new[-1]
    if any(_TRUST_STEP.search(t) for t in final):
        return []
    for index, (start, body) in enumerate(new[:-1]):
        steps = sorted((t.strip() for t in body if _TRUST_STEP.search(t)),
                       key=lambda t: bool(re.match(r"(COPY|ADD)\s", t, _I)))  # fmt: skip
        if not steps:
            continue
        step = steps[0]  # the step that updates the store, else the copy into it
        named = _STAGE_NAME.search(start.text)
        names = {str(index), *([named.group(1).lower()] if named else [])}
        copied = [t for t in final for m in [_COPY_FROM.search(t)]
                  if m and m.group(1).lower() in names]  # fmt: skip
        if any(_TRUST_PATH.search(t) for t in copied):
            continue
        stage = named.group(1) if named else f"#{index}"
        message = (
            f"the CA added to the trust store in build stage {stage} (`{step[:60]}`) no "
            f"longer reaches the image that runs (`{final_from.text.strip()[:60]}` copies "
            "no trust store from it): TLS to hosts that need that CA fails (unknown "
            "issuer)"
        )
        return [_finding(file, final_from.new, message, 0.7)]
    return []


def _tls_pairs(text: str) -> list[tuple[str, str]]:
    out = []
    for pattern in (_ENV_SPACE, _PROTOCOLS):
        found = pattern.search(text)
        if found:
            out.append((found.group("key"), found.group("value").strip()))
    for found in _PAIR.finditer(text):
        key = found.group("key")
        name = _norm(key)
        if (
            _SSLMODE.match(name)
            or _CA.search(name)
            or _MIN_VERSION.search(name)
            or _VERIFY.match(name)
        ):
            out.append((key.lstrip("D") if key.startswith("Djavax") else key, found.group("value")))
    return out


def _tls_version(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    found = re.findall(r"(?:TLS|SSL)?v?_?([1-3])[._]?([0-3])\b", value.replace("TLS", " TLS"), _I)
    versions = [(int(a), int(b)) for a, b in found]
    return min(versions) if versions else None


def _truth(value: str) -> bool | None:
    text = value.strip("\"'").lower()
    if text in ("true", "yes", "on", "1", "required", "verify_peer", "cert_required"):
        return True
    if text in ("false", "no", "off", "0", "none", "verify_none", "cert_none"):
        return False
    return None


def _norm(key: str) -> str:
    last = key.split(".")[-1] if not re.search(r"javax\.net\.ssl", key) else key.split(".")[-1]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", last).replace("-", "_").lower()


def _clean(value: str) -> str:
    return value.strip().strip("\"'").strip()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _new_line(lines: list[diff.DiffLine], index: int) -> int | None:
    """Where a removed line was, as a line of the new file."""
    for d in lines[index:]:
        if d.new is not None:
            return d.new
    for d in reversed(lines[:index]):
        if d.new is not None:
            return d.new + 1
    return None
