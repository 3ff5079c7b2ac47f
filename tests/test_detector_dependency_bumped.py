"""dependency_bumped: a dependency's major/minor version moved, a range floats, a base image."""

from __future__ import annotations

from agents.root_cause.detectors import dependency_bumped
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return dependency_bumped.detect(change_facts("PR #1", list(patches), patches))


def test_npm_major_bump_that_now_floats_is_strongest() -> None:
    patch = """\
@@ -8,7 +8,7 @@
   "dependencies": {
     "express": "4.19.2",
-    "pg": "8.11.3",
+    "pg": "^9.0.1",
     "zod": "3.23.8"
   },
"""
    [hit] = findings({"package.json": patch})
    assert (hit.file, hit.line) == ("package.json", 10)
    assert "dependency `pg` 8.11.3 → ^9.0.1 (major)" in hit.message
    assert "now floats (`^`)" in hit.message
    assert hit.strength >= 0.75


def test_pip_minor_bump_and_pin_loosened() -> None:
    patch = """\
@@ -1,4 +1,4 @@
 fastapi==0.111.0
-httpx==0.26.0
+httpx==0.27.0
-requests==2.31.0
+requests>=2.31.0
"""
    hits = findings({"requirements.txt": patch})
    by_name = {h.message.split("`")[1]: h for h in hits}
    assert by_name["httpx"].line == 2
    assert "==0.26.0 → ==0.27.0 (major)" in by_name["httpx"].message  # below 1.0 a minor may break
    assert by_name["requests"].line == 3 and "now floats (`>=`)" in by_name["requests"].message


def test_go_module_and_gradle_minor_bumps() -> None:
    gomod = """\
@@ -5,6 +5,6 @@ go 1.22
 require (
 \tgithub.com/jackc/pgx/v5 v5.5.5
-\tgoogle.golang.org/grpc v1.62.1
+\tgoogle.golang.org/grpc v1.64.0
 )
"""
    gradle = """\
@@ -10,3 +10,3 @@ dependencies {
-    implementation "com.fasterxml.jackson.core:jackson-databind:2.15.4"
+    implementation "com.fasterxml.jackson.core:jackson-databind:2.17.1"
 }
"""
    hits = findings({"go.mod": gomod, "build.gradle": gradle})
    assert [(h.file, h.line) for h in hits] == [("go.mod", 7), ("build.gradle", 10)]
    assert "google.golang.org/grpc` v1.62.1 → v1.64.0 (minor)" in hits[0].message
    assert "jackson-databind` 2.15.4 → 2.17.1 (minor)" in hits[1].message


def test_base_images_major_untagged_and_variant() -> None:
    patch = """\
@@ -1,6 +1,6 @@
-FROM node:18-alpine AS build
+FROM node:20-alpine AS build
 WORKDIR /app
 RUN npm ci
-FROM python:3.12-slim
+FROM python:3.12-alpine
"""
    untagged = (
        "@@ -1,2 +1,2 @@\n-FROM nginx:1.25.4\n+FROM nginx\n COPY site /usr/share/nginx/html\n"
    )
    hits = findings({"Dockerfile": patch, "web/Dockerfile": untagged})
    messages = [(h.file, h.line, h.message) for h in hits]
    assert ("Dockerfile", 1, "base image `node` 18-alpine → 20-alpine (major)") in messages
    assert ("Dockerfile", 4, "base image `python` 3.12-slim → 3.12-alpine (variant)") in messages
    [latest] = [h for h in hits if h.file == "web/Dockerfile"]
    assert "1.25.4 → latest" in latest.message and "now floats (`latest`)" in latest.message
    assert "availability" in latest.symptoms


def test_lock_file_only_bump_names_the_package() -> None:
    patch = """\
@@ -120,7 +120,7 @@
     "node_modules/undici": {
-      "version": "5.28.4",
+      "version": "6.19.2",
       "resolved": "https://registry.npmjs.org/undici/-/undici-6.19.2.tgz",
"""
    [hit] = findings({"package-lock.json": patch})
    assert hit.line == 121
    assert "`undici` 5.28.4 → 6.19.2 (major); lock file only" in hit.message


# --- near misses -----------------------------------------------------------------------------


def test_patch_bump_of_a_pinned_version_is_ignored() -> None:
    patch = "@@ -1,2 +1,2 @@\n-django==4.2.13\n+django==4.2.14\n celery==5.4.0\n"
    gomod = "@@ -3 +3 @@\n-\tgithub.com/rs/zerolog v1.33.0\n+\tgithub.com/rs/zerolog v1.33.1\n"
    assert findings({"requirements.txt": patch, "go.mod": gomod}) == []


def test_dev_dependencies_and_dev_requirements_are_ignored() -> None:
    package = """\
@@ -20,5 +20,5 @@
   "devDependencies": {
-    "jest": "29.7.0",
+    "jest": "30.0.0",
     "typescript": "5.4.5"
"""
    dev = "@@ -1 +1 @@\n-pytest==7.4.4\n+pytest==8.2.0\n"
    assert findings({"package.json": package, "requirements-dev.txt": dev}) == []


def test_added_dependency_and_same_image_are_not_bumps() -> None:
    added = "@@ -1,2 +1,3 @@\n fastapi==0.111.0\n+orjson==3.10.3\n uvicorn==0.29.0\n"
    same = "@@ -1,3 +1,3 @@\n FROM python:3.12-slim\n-RUN pip install -r requirements.txt\n+RUN pip install --no-cache-dir -r requirements.txt\n"  # noqa: E501
    assert findings({"requirements.txt": added, "Dockerfile": same}) == []


def test_dependency_named_in_docs_or_tests_is_ignored() -> None:
    docs = "@@ -1 +1 @@\n-Install `requests==2.31.0`\n+Install `requests==3.0.0`\n"
    fixture = '@@ -1 +1 @@\n-  "pg": "8.11.3",\n+  "pg": "9.0.0",\n'
    assert findings({"docs/setup.md": docs, "tests/fixtures/package.json": fixture}) == []


def test_a_serializers_step_also_fits_a_broken_contract() -> None:
    catalog = (
        '@@ -3,4 +3,4 @@\n [versions]\n-jackson = "2.17.0"\n+jackson = "3.0.0"\n kotlin = "2.1.0"\n'
    )
    [hit] = findings({"gradle/libs.versions.toml": catalog})
    assert "contract" in hit.symptoms and "serializer" in hit.message
    pip = "@@ -1,2 +1,2 @@\n-pydantic==1.10.13\n+pydantic==2.7.1\n-httpx==0.26.0\n+httpx==0.27.0\n"
    by_name = {h.message.split("`")[1]: h for h in findings({"requirements.txt": pip})}
    assert "contract" in by_name["pydantic"].symptoms
    assert "contract" not in by_name["httpx"].symptoms  # an HTTP client writes no payloads
    patch_only = "@@ -1 +1 @@\n-orjson==3.10.1\n+orjson==3.10.3\n"
    assert findings({"requirements.txt": patch_only}) == []
