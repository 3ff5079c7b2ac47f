"""A tool call's outcome as one typed record, and the replies the pipeline reads.

`ToolResult.status` is `success`, `error` (the tool said it failed) or `no_data` (it
succeeded and returned nothing). `parse(Model)` reads the reply as one of the pydantic
models below; a reply that is not JSON, or not of that shape, raises `ToolReplyError`
naming the tool and what was wrong, so a wrong shape is never mistaken for a success.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

Status = Literal["success", "error", "no_data"]


class Reply(BaseModel):
    """A tool reply as the pipeline reads it: servers may add fields, known ones are checked."""

    model_config = ConfigDict(extra="ignore", frozen=True)


R = TypeVar("R", bound=Reply)


class ToolReplyError(Exception):
    """A tool's reply could not be read as what the pipeline expected."""


@dataclass(frozen=True)
class ToolResult:
    server: str
    tool: str
    status: Status
    text: str
    data: Any  # the reply's JSON (structured content, or the text parsed), None when not JSON
    duration_s: float

    @property
    def qualified(self) -> str:
        return f"{self.server}.{self.tool}"

    @property
    def ok(self) -> bool:
        return self.status != "error"

    def parse(self, model: type[R]) -> R:
        """The reply as `model`; raises ToolReplyError on an error, no data or a wrong shape."""
        if self.status == "error":
            raise ToolReplyError(f"{self.qualified} failed: {self.text[:300]}")
        if self.data is None:
            what = "nothing" if self.status == "no_data" else f"text, not JSON: {self.text[:120]!r}"
            raise ToolReplyError(f"{self.qualified} replied with {what}")
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                for e in exc.errors()[:3]
            )
            raise ToolReplyError(
                f"{self.qualified} replied with an unexpected shape for {model.__name__}: "
                f"{problems}"
            ) from exc


# --- GitHub ------------------------------------------------------------------------------


class PullRequestSummary(Reply):
    number: int
    title: str
    author: str | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    url: str = ""
    files: list[str] = []


class PullRequestList(Reply):
    pull_requests: list[PullRequestSummary]


class CommitSummary(Reply):
    sha: str
    message: str = ""
    author: str | None = None
    date: str
    url: str = ""


class CommitList(Reply):
    commits: list[CommitSummary]


class FileDiff(Reply):
    filename: str
    patch: str | None = None


class ChangeDetail(Reply):
    """A pull request's or a commit's details: its text and the patch of each file."""

    url: str = ""
    body: str | None = None  # a pull request's
    message: str | None = None  # a commit's
    file_diffs: list[FileDiff]


# --- Slack -------------------------------------------------------------------------------


class PostedMessage(Reply):
    channel: str
    ts: str


def as_text(result: ToolResult) -> str:
    """A text reply (a page snapshot); raises ToolReplyError on an error or an empty reply."""
    if result.status == "error":
        raise ToolReplyError(f"{result.qualified} failed: {result.text[:300]}")
    if not result.text.strip():
        raise ToolReplyError(f"{result.qualified} replied with nothing")
    return result.text
