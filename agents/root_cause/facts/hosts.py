"""Host and domain names a page names: `api.example.com`, `db.prod.svc.cluster.local`,
`cache.internal:7000`, `10.1.2.3:8443`, hosts in URLs. Not e-mail addresses, file names,
module paths (`pkg.module.Class`), versions, or the page's own host."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from agents.root_cause.facts.tree import Page

# top-level domains written in incident pages, and the suffixes of private names
_TLDS = frozenset({
    "com", "net", "org", "io", "app", "dev", "co", "cloud", "ai", "tech", "info", "biz", "me",
    "tv", "xyz", "online", "site", "page", "link", "run", "fm", "uk", "ie", "de", "fr", "nl",
    "eu", "es", "it", "pl", "se", "no", "dk", "fi", "be", "ch", "at", "pt", "us", "ca", "au",
    "nz", "jp", "in", "br", "mx", "ar", "cz", "sk", "hu", "ro", "gr", "tr", "il", "za", "sg",
    "hk", "kr", "tw", "cn", "ru", "ua", "lt", "lv", "ee", "is", "lu", "si", "hr", "rs", "bg",
    "internal", "local", "lan", "corp", "intra", "home", "svc", "cluster",
})  # fmt: skip
_DOMAIN = re.compile(
    r"(?<![\w@./-])(?P<host>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,24}))\.?"
    r"(?P<port>:\d{2,5})?(?![\w-]|\.[a-z0-9]|\()"
    r"(?!/[\w.-]+(?:=|:\D))"  # not the prefix of a label key: `example.io/name=value`
)
_PACKAGE_ROOTS = frozenset({"com", "org", "net", "io", "java", "javax", "jdk", "kotlin", "scala"})
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://(?:[^@/\s]+@)?(?P<host>[a-z0-9.-]+|\[[0-9a-f:]+\])", re.I)
_IP_PORT = re.compile(r"(?<![\w.])(?P<ip>(?:\d{1,3}\.){3}\d{1,3}):\d{2,5}\b")
_NAME_PORT = re.compile(r"(?<![\w@./-])(?P<host>[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+):\d{2,5}\b")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "0.0.0.0"})
_CODE_FILES = frozenset({
    "go", "py", "js", "ts", "mjs", "cjs", "jsx", "tsx", "rb", "java", "kt", "kts", "scala",
    "php", "rs", "cs", "c", "h", "cc", "cpp", "ex", "exs", "swift", "sql", "yaml", "yml",
    "json", "toml", "ini", "conf", "cfg", "xml", "html", "txt", "log", "md", "sh",
})  # fmt: skip
MAX_HOSTS = 60


def hosts(page: Page, url: str) -> list[str]:
    own = (urlparse(url).hostname or "").lower()
    found: list[str] = []
    for line in page.lines:
        found += hosts_in(line)
    unique = dict.fromkeys(h for h in found if h != own and h not in _LOOPBACK)
    return list(unique)[:MAX_HOSTS]


def hosts_in(text: str) -> list[str]:
    """Hosts named in text, in order (lower case, no trailing dot)."""
    spans: list[tuple[int, str]] = []
    for m in _URL.finditer(text):
        spans.append((m.start(), m["host"].lower().strip("[]")))
    for m in _DOMAIN.finditer(text):
        tld = m["tld"]
        if tld in _TLDS:
            spans.append((m.start(), m["host"]))
    for pattern in (_IP_PORT, _NAME_PORT):
        for m in pattern.finditer(text):
            spans.append((m.start(), m.group(1).lower()))
    return list(dict.fromkeys(h.rstrip(".") for _, h in sorted(spans) if _plausible(h)))


def _plausible(host: str) -> bool:
    if re.fullmatch(r"[\d.]+", host):
        return host.count(".") == 3
    labels = host.split(".")
    if labels[0] in _PACKAGE_ROOTS:  # a package name written backwards: `org.example.db`
        return False
    return len(labels) >= 2 and not labels[-1].isdigit() and labels[-1] not in _CODE_FILES
