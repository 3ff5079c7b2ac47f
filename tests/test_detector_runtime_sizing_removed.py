"""runtime_sizing_removed: what sized a runtime to its container taken away."""

from __future__ import annotations

from agents.root_cause.detectors import runtime_sizing_removed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return runtime_sizing_removed.detect(change_facts("PR #1", list(patches), patches))


def test_automaxprocs_dropped_from_a_go_service_on_an_older_go() -> None:
    main = ('@@ -3,6 +3,5 @@ import (\n \t"net/http"\n \t"os"\n-\n-\t_ "go.uber.org/automaxprocs"\n'
            ' \n \t"example.com/quotes/internal/server"\n')  # fmt: skip
    gomod = ("@@ -1,9 +1,8 @@\n module example.com/quotes\n \n go 1.23.4\n \n require (\n"
             "-\tgo.uber.org/automaxprocs v1.5.3\n \tgoogle.golang.org/grpc v1.66.0\n")  # fmt: skip
    [hit] = findings({"cmd/quotes/main.go": main, "go.mod": gomod})
    assert hit.file == "cmd/quotes/main.go" and "removes automaxprocs" in hit.message
    assert "cpu" in hit.symptoms and "latency" in hit.symptoms and hit.strength == 0.6


def test_jvm_heap_percentage_and_node_heap_flag_removed() -> None:
    java = ("@@ -12,4 +12,3 @@ spec:\n           env:\n             - name: JAVA_TOOL_OPTIONS\n"
            '-              value: "-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError"\n'
            '+              value: "-XX:+ExitOnOutOfMemoryError"\n')  # fmt: skip
    [heap] = findings({"deploy/ledger/deployment.yaml": java})
    assert "the JVM's heap bound" in heap.message and "memory" in heap.symptoms
    node = ('@@ -8,3 +8,3 @@\n ENV NODE_ENV=production\n-CMD ["node", "--max-old-space-size=1536", '
            '"dist/server.js"]\n+CMD ["node", "dist/server.js"]\n')  # fmt: skip
    [old_space] = findings({"Dockerfile": node})
    assert "--max-old-space-size" in old_space.message and "crash" in old_space.symptoms


def test_gomaxprocs_env_removed_and_a_pool_sized_from_the_host() -> None:
    env = ("@@ -20,6 +20,4 @@\n           env:\n-            - name: GOMAXPROCS\n"
           "-              value: \"2\"\n             - name: LOG_LEVEL\n")  # fmt: skip
    [procs] = findings({"k8s/indexer.yaml": env})
    assert "removes GOMAXPROCS" in procs.message
    pool = ("@@ -4,3 +4,4 @@ import os\n from concurrent.futures import ThreadPoolExecutor\n"
            "+POOL = ThreadPoolExecutor(max_workers=os.cpu_count() * 4)\n")  # fmt: skip
    [host] = findings({"app/render.py": pool})
    assert "host's CPU count" in host.message and host.line == 5


def test_not_findings_on_go_125_moved_settings_logging_and_tests() -> None:
    newer = ('@@ -3,4 +3,3 @@ import (\n-\t_ "go.uber.org/automaxprocs"\n \t"os"\n',
             "@@ -1,4 +1,4 @@\n module example.com/quotes\n \n-go 1.24.2\n+go 1.25.1\n"
             "@@ -6,3 +6,2 @@\n-\tgo.uber.org/automaxprocs v1.6.0\n")  # fmt: skip
    assert findings({"main.go": newer[0], "go.mod": newer[1]}) == []
    moved = '@@ -1,3 +1,3 @@\n-ENV JAVA_OPTS="-Xmx1g"\n+ENV JAVA_OPTS="-Xmx1g -XX:+UseG1GC"\n'
    assert findings({"Dockerfile": moved}) == []
    logged = '@@ -2,2 +2,3 @@\n+logger.info("workers=%d", os.cpu_count())\n'
    assert findings({"app/boot.py": logged}) == []
    in_tests = '@@ -1,2 +1,1 @@\n-\t_ "go.uber.org/automaxprocs"\n'
    assert findings({"internal/server/server_test.go": in_tests}) == []
    comment = "@@ -1,2 +1,1 @@\n-# GOMAXPROCS is set by the platform\n"
    assert findings({"deploy/values.yaml": comment}) == []
