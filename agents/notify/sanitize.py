"""Make untrusted text safe to post to Slack: no mentions, no links off the allowlist.

`sanitize(text, allowed_hosts)` is the one gate every piece of untrusted text passes
before it reaches a message. In order, it

1. normalizes (NFKC, so fullwidth `＜！ｃｈａｎｎｅｌ＞` or `ｅｖｉｌ．ｅｘａｍｐｌｅ` become
   their ASCII selves) and drops zero-width, bidi, control and unassigned characters;
2. turns Slack's own syntax into inert placeholders: `<!channel>`, `<!here>`,
   `<!subteam^…>`, `<@U…>`, `<#C…>` become "[mention removed]", `<url|label>` becomes
   "label (url)" when the host is allowed and "[link removed]" otherwise;
3. scans for what Slack would auto-link or notify: URLs with a scheme, bare domains
   (`evil.example/x`, `www.evil.com`), IPv4 addresses, and `@channel`/`@here`/`@everyone`.
   Only http(s) URLs and bare names whose host is allowed are kept; a URL with userinfo
   (`https://github.com@evil.example`) never is. Everything else becomes a placeholder;
4. escapes `&`, `<` and `>` as Slack requires, so nothing left can form Slack syntax.

Allowed hosts are host names compared case-insensitively; `*.acme.internal` allows its
subdomains (not `acme.internal` itself) and `127.0.0.1:8123` allows exactly that port
(an entry without a port allows the host without an explicit port). Hosts are matched in
ASCII: an internationalized host is allowed only as listed in punycode (`xn--…`), so a
lookalike such as `gіthub.com` (Cyrillic і) never matches `github.com`.

A dotted name that is a file (`config.yaml`) is kept when its extension is not a
top-level domain; one that is (`pool.py`, `.py` is Paraguay) is removed: Slack links it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FILE_EXTENSIONS", "LINK_REMOVED", "MENTION_REMOVED", "as_quote", "clip", "escape"]
__all__ += ["host_allowed", "sanitize"]

LINK_REMOVED = "[link removed]"
MENTION_REMOVED = "[mention removed]"

# Extensions that are not top-level domains: `name.ext` with one of these is a file name.
FILE_EXTENSIONS = frozenset({
    "c", "cfg", "conf", "cpp", "csv", "env", "gradle", "h", "hpp", "htm", "html", "ini", "j2",
    "java", "js", "json", "jsx", "kt", "lock", "log", "mod", "proto", "rb", "sql", "sum",
    "swift", "toml", "ts", "tsx", "txt", "xml", "yaml", "yml",
})  # fmt: skip

# Source-file extensions that are also top-level domains (Slack would link `history.py`):
# such a name, with an optional `:line`, is shown as inline code, which Slack never links.
CODE_TLDS = frozenset({"py", "sh", "md", "rs", "go", "pl", "ps", "tf", "cs", "kt", "sc"})

_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0") | frozenset(
    map(chr, range(0xFE00, 0xFE10))
)
_DOTS = str.maketrans({"\u3002": ".", "\uff61": ".", "\uff0e": "."})

_PATH = r"[A-Za-z0-9\-._~/%?=&+#]*"  # no ":": no second URL hides in a kept path
_ANGLE = re.compile(r"<([^<>\n]*)>")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_TOKEN = re.compile(
    r"(?P<url>(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<auth>[^\s/?#\\<>()\[\]{}|\"'`,;]*)"
    rf"(?:[/?#]{_PATH})?)"
    r"|(?P<mention>@(?:channel|here|everyone))"
    r"|(?P<bare>(?P<name>(?:[\w-]+\.)+[^\W\d_]{2,}|\d{1,3}(?:\.\d{1,3}){3})"
    rf"(?P<port>:\d+(?!\.?[\w-]))?(?P<path>/{_PATH})?)",
    re.IGNORECASE,
)
_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*")


def escape(text: str) -> str:
    """Slack's own escaping: `&`, `<` and `>` make mentions and links inert."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sanitize(text: str, allowed_hosts: frozenset[str] = frozenset()) -> str:
    """Untrusted `text` as Slack mrkdwn that can neither mention anyone nor link off-list."""
    clean = _normalize(text)
    clean = _ANGLE.sub(lambda m: _slack_syntax(m[1], allowed_hosts), clean)
    out: list[str] = []
    at = 0
    for match in _TOKEN.finditer(clean):
        out += [escape(clean[at : match.start()]), _token(match, allowed_hosts)]
        at = match.end()
    out.append(escape(clean[at:]))
    return "".join(out)


def host_allowed(authority: str, allowed_hosts: frozenset[str]) -> bool:
    """Whether `host` or `host:port` is on the allowlist (case-insensitive, ASCII only)."""
    host, port = _split_port(authority.lower())
    host = host.removesuffix(".")
    if port == "" or not host.isascii() or not _HOST.fullmatch(host):
        return False
    for entry in allowed_hosts:
        want, want_port = _split_port(entry.strip().lower())
        want = want.removesuffix(".")
        same_port = want_port == port or bool(want_port and port and int(want_port) == int(port))
        if same_port and (host == want or (want.startswith("*.") and host.endswith(want[1:]))):
            return True
    return False


def as_quote(safe: str) -> str:
    """Already-sanitized text as a Slack quote: every line starts with `> `."""
    return "\n".join("> " + line for line in safe.split("\n"))


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", _strip(text)).translate(_DOTS)
    return _strip(text)


def _strip(text: str) -> str:
    keep = []
    for ch in text:
        if ch in "\n\t\r\u2028\u2029":
            keep.append(" " if ch == "\t" else ("" if ch == "\r" else "\n"))
        elif unicodedata.category(ch) not in _DROP_CATEGORIES and ch not in _INVISIBLE:
            keep.append(ch)
    return "".join(keep)


def _slack_syntax(inner: str, allowed_hosts: frozenset[str]) -> str:
    """One `<…>` span: a mention or a link become placeholders; other text is left alone."""
    if inner[:1] in ("!", "@") or re.match(r"#[A-Z0-9]", inner):
        return MENTION_REMOVED
    if not _SCHEME.match(inner):
        return f"<{inner}>"
    url, _, label = inner.partition("|")
    match = _TOKEN.fullmatch(url)
    if match is None or match["url"] is None or not _url_allowed(match, allowed_hosts):
        return LINK_REMOVED
    return f"{label} ({url})" if label.strip() else url


def _token(match: re.Match[str], allowed_hosts: frozenset[str]) -> str:
    if match["mention"]:
        return MENTION_REMOVED
    if match["url"]:
        return escape(match[0]) if _url_allowed(match, allowed_hosts) else LINK_REMOVED
    name, port, path = match["name"], match["port"] or "", match["path"]
    is_file = name.count(".") == 1 and name.rpartition(".")[2].lower() in FILE_EXTENSIONS
    if is_file and not port and not path:
        return escape(match[0])
    if name.count(".") == 1 and name.rpartition(".")[2].lower() in CODE_TLDS and not path:
        return f"`{escape(match[0])}`"
    return escape(match[0]) if host_allowed(name + port, allowed_hosts) else LINK_REMOVED


def _url_allowed(match: re.Match[str], allowed_hosts: frozenset[str]) -> bool:
    scheme, auth = match["scheme"].lower(), match["auth"]
    return scheme in ("http", "https") and "@" not in auth and host_allowed(auth, allowed_hosts)


def _split_port(authority: str) -> tuple[str, str | None]:
    """("host", None) or ("host", "8123"); ("host", "") when what follows `:` is no port."""
    host, colon, port = authority.rpartition(":")
    if not colon:
        return authority, None
    return (host, port) if port.isdigit() and port.isascii() and len(port) <= 5 else (host, "")
