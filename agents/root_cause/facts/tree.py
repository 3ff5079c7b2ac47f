"""Read a Playwright accessibility snapshot into text lines and tables, keeping every cell.

`agents.root_cause.snapshot.page_lines` is for a model's eyes (it drops empty cells and cuts long
lines); the extractors need the whole text and the column each cell sits in, so they read the
tree here: a table is its header and its rows (empty cells kept), everything else is a line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_NODE = re.compile(
    r"^(?P<role>[\w-]+)"  # cell
    r'(?: "(?P<name>(?:[^"\\]|\\.)*)")?'  # "95%"
    r"(?P<attrs>(?: \[[^\]]*\])*)$"  # [ref=e12] [level=1]
)
_LEVEL = re.compile(r"\[level=(\d+)\]")
_CELL_ROLES = frozenset({"cell", "columnheader", "rowheader", "gridcell"})
_INLINE_ROLES = frozenset(
    {"text", "code", "link", "strong", "emphasis", "mark", "time", "superscript", "subscript"}
)


@dataclass
class Node:
    role: str
    text: str
    level: int | None = None
    children: list[Node] = field(default_factory=list)

    def all_text(self) -> str:
        """This node's own text, then its descendants', joined by spaces."""
        parts = [self.text] if self.text else []
        parts += [t for c in self.children if (t := c.all_text())]
        return " ".join(parts)


@dataclass
class Table:
    """A table: what stood above it (its heading or caption), its header, its rows of cells."""

    caption: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Page:
    title: str
    lines: list[str]  # every text line in page order; a table row is its cells joined by " | "
    tables: list[Table]
    texts: list[str] = field(default_factory=list)  # the lines that are not table rows


def parse(snapshot: str) -> Page:
    """The page's lines and tables; the title is the first heading (or the first line)."""
    root = Node("root", "")
    stack: list[tuple[int, Node]] = [(-1, root)]
    for raw in _yaml_block(snapshot).splitlines():
        parsed = _parse_line(raw)
        if parsed is None:
            continue
        indent, node = parsed
        while stack[-1][0] >= indent:
            stack.pop()
        stack[-1][1].children.append(node)
        stack.append((indent, node))
    page = Page(title="", lines=[], tables=[])
    _walk(root, page, _Context())
    page.title = _page_title(snapshot) or _title(root) or (page.lines[0] if page.lines else "")
    return page


@dataclass
class _Context:
    heading: str = ""
    text: str = ""

    def caption(self) -> str:
        return " · ".join(dict.fromkeys(p for p in (self.heading, self.text) if p))


def _page_title(snapshot: str) -> str:
    match = re.search(r"^- Page Title: (.+)$", snapshot, re.MULTILINE)
    return match.group(1).strip() if match else ""


def _title(root: Node) -> str:
    """The top-level heading (level 1), if the page has one."""
    stack = list(reversed(root.children))
    while stack:
        node = stack.pop()
        if node.role == "heading" and node.text and node.level == 1:
            return node.text
        stack.extend(reversed(node.children))
    return ""


def _walk(node: Node, page: Page, ctx: _Context) -> None:
    """Append node's lines and tables to page, in page order."""
    if node.role in ("table", "grid"):
        _add_table(node, page, ctx.caption())
        ctx.text = ""
        return
    if node.role == "row":  # a row outside a table
        page.lines.append(" | ".join(_cell_text(c) for c in node.children))
        return
    if node.children and any(c.role in _INLINE_ROLES for c in node.children):
        text = node.all_text()
        if text:
            _add_text(page, text)
            ctx.text = text
        return
    if node.text:
        _add_text(page, node.text)
        if node.role == "heading":
            ctx.heading, ctx.text = node.text, ""
        else:
            ctx.text = node.text
    for child in node.children:
        _walk(child, page, ctx)


def _add_text(page: Page, text: str) -> None:
    page.lines.append(text)
    page.texts.append(text)


def _add_table(node: Node, page: Page, caption: str) -> None:
    header: list[str] = []
    rows: list[list[str]] = []
    for row in _rows(node):
        cells = [c for c in row.children if c.role in _CELL_ROLES]
        texts = [_cell_text(c) for c in cells]
        if cells and all(c.role == "columnheader" for c in cells) and not rows:
            header = texts
        elif any(texts):
            rows.append(texts)
        if any(texts):
            page.lines.append(" | ".join(t for t in texts if t))
    page.tables.append(Table(caption=caption, header=header, rows=rows))


def _rows(node: Node) -> list[Node]:
    out: list[Node] = []
    for child in node.children:
        if child.role == "row":
            out.append(child)
        else:
            out.extend(_rows(child))
    return out


def _cell_text(cell: Node) -> str:
    return " ".join(cell.all_text().split())


def _parse_line(raw: str) -> tuple[int, Node] | None:
    stripped = raw.lstrip(" ")
    if not stripped.startswith("- "):
        return None
    indent = len(raw) - len(stripped)
    body = stripped[2:]
    head, value = _split_head(body)
    if head is None or head.startswith("/"):  # "- /url: ..." is a property, not a node
        return None
    match = _NODE.match(head)
    if not match:
        return None
    name = _unescape(match["name"]) if match["name"] is not None else ""
    parts = [p.strip() for p in (name, value) if p and p.strip()]
    text = " ".join(dict.fromkeys(parts))
    level = _LEVEL.search(match["attrs"] or "")
    return indent, Node(match["role"], text, int(level.group(1)) if level else None)


def _split_head(body: str) -> tuple[str | None, str]:
    """('role "name" [attrs]', value) from a node's line, YAML quoting undone."""
    if body.startswith("'"):
        end = _single_quote_end(body)
        if end < 0:
            return None, ""
        head = body[1:end].replace("''", "'")
        rest = body[end + 1 :]
    else:
        cut = _colon_outside_quotes(body)
        head, rest = (body, "") if cut < 0 else (body[:cut], body[cut:])
    rest = rest.removeprefix(":").strip()
    return head.strip(), _scalar(rest)


def _single_quote_end(body: str) -> int:
    i = 1
    while i < len(body):
        if body[i] == "'":
            if i + 1 < len(body) and body[i + 1] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


def _colon_outside_quotes(body: str) -> int:
    quoted = False
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and quoted:
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted and (i + 1 == len(body) or body[i + 1] == " "):
            return i
        i += 1
    return -1


def _scalar(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value[1:-1]
        return decoded if isinstance(decoded, str) else value
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)


def _yaml_block(snapshot: str) -> str:
    match = re.search(r"```yaml\n(.*?)```", snapshot, re.DOTALL)
    return match.group(1) if match else snapshot
