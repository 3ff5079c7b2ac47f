"""goroutine_blocked_send: goroutines sending on an unbuffered channel nobody may receive from."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import goroutine_blocked_send
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return goroutine_blocked_send.detect(change_facts("PR #1", [file], {file: patch}))


def added(*lines: str) -> str:
    return f"@@ -1,1 +1,{len(lines) + 1} @@\n package x\n" + "".join(f"+{ln}\n" for ln in lines)


# the classic: the caller gives up on the context and the worker's send blocks forever
CTX = added(
    "func (c *Client) Price(ctx context.Context, id string) (float64, error) {",
    "\tout := make(chan float64)",
    "\tgo func() {",
    "\t\tout <- c.lookup(id)",
    "\t}()",
    "\tselect {",
    "\tcase p := <-out:",
    "\t\treturn p, nil",
    "\tcase <-ctx.Done():",
    "\t\treturn 0, ctx.Err()",
    "\t}",
    "}",
)
# two mirrors raced, the first answer taken, the second sender left behind
RACE = added(
    "func fetch(urls []string) []byte {",
    "\tbodies := make(chan []byte)",
    "\tfor _, u := range urls {",
    "\t\tgo get(u, bodies)",
    "\t}",
    "\treturn <-bodies",
    "}",
    "func get(u string, bodies chan []byte) {",
    "\tbodies <- download(u)",
    "}",
)
# a timer case beside the receive
TIMER = added(
    "func (w *Warmer) Load(key string) (Item, bool) {",
    "\tdone := make(chan Item)",
    "\tgo w.fill(key, done)",
    "\tgo w.fillFromPeer(key, done)",
    "\tselect {",
    "\tcase it := <-done:",
    "\t\treturn it, true",
    "\tcase <-time.After(50 * time.Millisecond):",
    "\t\treturn Item{}, false",
    "\t}",
    "}",
    "func (w *Warmer) fill(key string, done chan Item) { done <- w.read(key) }",
)


@pytest.mark.parametrize(("patch", "channel"), [(CTX, "out"), (RACE, "bodies"), (TIMER, "done")])
def test_sender_can_be_abandoned(patch: str, channel: str) -> None:
    [hit] = findings("internal/pricing/client.go", patch)
    assert f"`{channel}`" in hit.message and "memory" in hit.symptoms


@pytest.mark.parametrize(
    ("file", "patch"),
    [
        # buffered: the send completes even when nobody listens any more
        ("internal/pricing/client.go", CTX.replace("make(chan float64)", "make(chan float64, 1)")),
        # the sender itself selects on the context: it can give up
        ("internal/pricing/client.go", CTX.replace("\t\tout <- c.lookup(id)", "\t\tselect {\n"
         "+\t\tcase out <- c.lookup(id):\n+\t\tcase <-ctx.Done():\n+\t\t}")),
        # one goroutine, one plain receive: the caller always takes the value
        ("internal/jobs/run.go", added("func run() int {", "\tres := make(chan int)",
                                       "\tgo func() { res <- work() }()", "\treturn <-res", "}")),
        # a done signal that is only closed
        ("internal/jobs/run.go", added("func run() {", "\tstop := make(chan struct{})",
                                       "\tgo loop(stop)", "\tselect {", "\tcase <-stop:",
                                       "\tcase <-time.After(time.Second):", "\t}",
                                       "\tclose(stop)", "}")),
        # not Go
        ("src/pricing/client.py", CTX),
        # a test file
        ("internal/pricing/client_test.go", CTX),
    ],
)  # fmt: skip
def test_no_abandoned_sender(file: str, patch: str) -> None:
    assert findings(file, patch) == []
