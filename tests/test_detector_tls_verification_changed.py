"""tls_verification_changed: verification off, trust store or sslmode changed, TLS raised."""

from __future__ import annotations

from agents.root_cause.detectors import tls_verification_changed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return tls_verification_changed.detect(change_facts("PR #1", [file], {file: patch}))


def test_verification_turned_off_in_python_go_and_node() -> None:
    python = """\
@@ -12,3 +12,3 @@ def fetch_rates(session):
-    resp = session.get(RATES_URL, timeout=5)
+    resp = session.get(RATES_URL, timeout=5, verify=False)
     resp.raise_for_status()
"""
    go = """\
@@ -30,4 +30,5 @@ func newClient() *http.Client {
 \ttr := &http.Transport{
+\t\tTLSClientConfig: &tls.Config{InsecureSkipVerify: true},
 \t}
"""
    node = """\
@@ -4,4 +4,4 @@ const agent = new https.Agent({
   keepAlive: true,
-  rejectUnauthorized: true,
+  rejectUnauthorized: false,
 });
"""
    [py] = findings("billing/rates.py", python)
    [golang] = findings("internal/upstream/client.go", go)
    [js] = findings("src/http/agent.ts", node)
    assert (py.line, golang.line, js.line) == (12, 31, 5)
    assert "verify=False" in py.message
    assert "InsecureSkipVerify: true" in golang.message
    assert "rejectUnauthorized" in js.message and "turned off" in js.message
    assert "tls" in py.symptoms


def test_sslmode_strengthened_in_a_dsn() -> None:
    patch = """\
@@ -1,3 +1,3 @@
 DB_POOL_SIZE=20
-DATABASE_URL=postgres://app@db.internal:5432/app?sslmode=require
+DATABASE_URL=postgres://app@db.internal:5432/app?sslmode=verify-full
"""
    [hit] = findings(".env.production", patch)
    assert hit.line == 2
    assert "sslmode` changed: require → verify-full" in hit.message
    assert "strengthened" in hit.message


def test_ca_bundle_path_changed_and_trust_store_removed() -> None:
    yaml_patch = """\
@@ -5,6 +5,6 @@ upstreams:
   ledger:
     url: https://ledger.internal
-    ca_file: /etc/ssl/certs/internal-ca.pem
+    ca_file: /etc/pki/tls/certs/ca-bundle.crt
     timeout: 5s
"""
    java_opts = """\
@@ -1,3 +1,2 @@
 JAVA_OPTS=-Xmx1g
-JAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore=/opt/certs/internal.jks
 LOG_LEVEL=info
"""
    [ca] = findings("config/upstreams.yaml", yaml_patch)
    [store] = findings("deploy/app.env", java_opts)
    assert ca.line == 7
    assert "/etc/ssl/certs/internal-ca.pem → /etc/pki/tls/certs/ca-bundle.crt" in ca.message
    assert store.line == 2 and "removed" in store.message and "internal.jks" in store.message


def test_minimum_tls_version_raised() -> None:
    patch = """\
@@ -10,5 +10,5 @@ func serverTLS() *tls.Config {
 \treturn &tls.Config{
-\t\tMinVersion: tls.VersionTLS12,
+\t\tMinVersion: tls.VersionTLS13,
 \t}
"""
    [hit] = findings("cmd/server/tls.go", patch)
    assert hit.line == 11 and "minimum TLS version raised" in hit.message
    assert "VersionTLS12 → tls.VersionTLS13" in hit.message


def test_dockerfile_drops_ca_certificates_and_moves_to_scratch() -> None:
    patch = """\
@@ -1,10 +1,9 @@
 FROM golang:1.22 AS build
 WORKDIR /src
 COPY . .
 RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app

-FROM alpine:3.19
-RUN apk add --no-cache ca-certificates
+FROM scratch
 COPY --from=build /out/app /app
 ENTRYPOINT ["/app"]
"""
    hits = findings("Dockerfile", patch)
    assert [h.line for h in hits] == [6, 6]
    assert "`RUN apk add --no-cache ca-certificates` (no longer installed" in hits[0].message
    assert "final image stage is now `scratch`" in hits[1].message


def test_certificate_removed_from_a_pinned_bundle() -> None:
    patch = """\
@@ -1,6 +1,3 @@
 -----BEGIN CERTIFICATE-----
 MIIBroot
 -----END CERTIFICATE-----
------BEGIN CERTIFICATE-----
-MIIBintermediate
------END CERTIFICATE-----
"""
    [hit] = findings("certs/upstream-chain.pem", patch)
    assert hit.line == 4 and "1 certificate(s) removed from the bundle" in hit.message


# --- near misses -----------------------------------------------------------------------------


def test_minimum_version_lowered_and_unrelated_settings() -> None:
    lowered = (
        "@@ -1 +1 @@\n-ssl_min_protocol_version: TLSv1.3\n+ssl_min_protocol_version: TLSv1.2\n"
    )
    ciphers = (
        "@@ -1,2 +1,2 @@\n-ssl_ciphers: HIGH:!aNULL\n+ssl_ciphers: HIGH:!aNULL:!MD5\n timeout: 5s\n"
    )
    assert findings("config/postgres.yaml", lowered) == []
    assert findings("config/nginx.yaml", ciphers) == []


def test_certificate_renewal_and_moved_line() -> None:
    renewal = """\
@@ -1,3 +1,3 @@
 -----BEGIN CERTIFICATE-----
-MIIBold
+MIIBnew
 -----END CERTIFICATE-----
"""
    moved = """\
@@ -1,4 +1,4 @@
-    resp = session.get(url, verify=False)
     log.info("fetching")
+    resp = session.get(url, verify=False)
"""
    assert findings("certs/server.pem", renewal) == []
    assert findings("scripts/fetch.py", moved) == []


def test_tests_docs_and_comments_are_ignored() -> None:
    code = "@@ -1 +1 @@\n-client = Client()\n+client = Client(verify=False)\n"
    comment = "@@ -1 +1,2 @@\n resp = get(url)\n+# never pass verify=False here\n"
    assert findings("tests/test_client.py", code) == []
    assert findings("docs/tls.md", code) == []
    assert findings("app/client.py", comment) == []


def test_signature_verification_is_not_tls() -> None:
    patch = "@@ -1 +1 @@\n-c = jwt.decode(tok, key)\n+c = jwt.decode(tok, key, verify=False)\n"
    assert findings("auth/tokens.py", patch) == []


# --- a build split into stages that leaves the added CA behind --------------------------------

SPLIT_DEBIAN = """\
@@ -1,9 +1,14 @@
-FROM node:20-bullseye-slim
+FROM node:22-bookworm-slim AS deps
 RUN apt-get update && apt-get install -y ca-certificates
 COPY ops/partner-root.crt /usr/local/share/ca-certificates/
 RUN update-ca-certificates
 WORKDIR /srv
 COPY package*.json ./
 RUN npm ci --omit=dev
+
+FROM node:22-bookworm-slim
+WORKDIR /srv
+COPY --from=deps /srv/node_modules ./node_modules
 COPY . .
 CMD ["node", "server.js"]
"""

SPLIT_UBI = """\
@@ -1,7 +1,11 @@
-FROM registry.access.redhat.com/ubi9/ubi
+FROM registry.access.redhat.com/ubi9/ubi AS builder
 COPY certs/corp-root.pem /etc/pki/ca-trust/source/anchors/
 RUN update-ca-trust extract
 RUN dnf install -y golang && go build -o /out/agent ./cmd/agent
-CMD ["/out/agent"]
+
+FROM registry.access.redhat.com/ubi9/ubi-minimal
+COPY --from=builder /out/agent /usr/local/bin/agent
+CMD ["/usr/local/bin/agent"]
"""

SPLIT_JAVA = """\
@@ -1,6 +1,9 @@
-FROM eclipse-temurin:21-jdk
+FROM eclipse-temurin:21-jdk AS build
 COPY gradle/ gradle/
 COPY settings/bank-ca.crt /tmp/bank-ca.crt
 RUN keytool -importcert -noprompt -cacerts -storepass changeit -file /tmp/bank-ca.crt
 RUN ./gradlew bootJar
+
+FROM eclipse-temurin:21-jre
+COPY --from=build /workspace/build/libs/app.jar /app.jar
 ENTRYPOINT ["java", "-jar", "/app.jar"]
"""


def test_a_build_split_into_stages_that_leaves_the_added_ca_behind() -> None:
    [debian] = [f for f in findings("Dockerfile", SPLIT_DEBIAN) if "build stage" in f.message]
    assert debian.line == 9 and "build stage deps" in debian.message, debian
    assert "update-ca-certificates" in debian.message and "tls" in debian.symptoms
    [ubi] = [f for f in findings("build/Dockerfile", SPLIT_UBI) if "build stage" in f.message]
    assert "build stage builder" in ubi.message and "update-ca-trust" in ubi.message
    [java] = [f for f in findings("Dockerfile", SPLIT_JAVA) if "build stage" in f.message]
    assert "keytool" in java.message and java.line == 7


def test_a_final_stage_that_keeps_its_trust_store_is_fine() -> None:
    copies = SPLIT_DEBIAN.replace(
        "+COPY --from=deps /srv/node_modules ./node_modules\n",
        "+COPY --from=deps /srv/node_modules ./node_modules\n"
        "+COPY --from=deps /etc/ssl/certs /etc/ssl/certs\n",
    ).replace("@@ -1,9 +1,14 @@", "@@ -1,9 +1,15 @@")
    own = SPLIT_UBI.replace(
        "+COPY --from=builder /out/agent /usr/local/bin/agent\n",
        "+COPY --from=builder /out/agent /usr/local/bin/agent\n"
        "+COPY certs/corp-root.pem /etc/pki/ca-trust/source/anchors/\n"
        "+RUN update-ca-trust extract\n",
    ).replace("@@ -1,7 +1,11 @@", "@@ -1,7 +1,13 @@")
    already_split = """\
@@ -1,8 +1,8 @@
 FROM golang:1.22 AS build
 COPY corp-root.crt /usr/local/share/ca-certificates/
 RUN update-ca-certificates
-RUN go build -o /app ./cmd/api
+RUN go build -trimpath -o /app ./cmd/api
 FROM gcr.io/distroless/base
 COPY --from=build /app /app
 ENTRYPOINT ["/app"]
"""
    one_stage = """\
@@ -1,5 +1,5 @@
 FROM python:3.12-slim
 COPY ca/ /usr/local/share/ca-certificates/
 RUN update-ca-certificates
-RUN pip install -r requirements.txt
+RUN pip install --no-cache-dir -r requirements.txt
 CMD ["gunicorn", "app:app"]
"""
    for name, patch in [("copies", copies), ("own", own), ("already_split", already_split),
                        ("one_stage", one_stage)]:  # fmt: skip
        hits = [f for f in findings("Dockerfile", patch) if "build stage" in f.message]
        assert hits == [], (name, hits)
