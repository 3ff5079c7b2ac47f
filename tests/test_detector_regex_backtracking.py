"""regex_backtracking: regexes prone to catastrophic backtracking, in many languages."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import regex_backtracking
from agents.root_cause.detectors.regex_backtracking import risky
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return regex_backtracking.detect(change_facts("PR #1", [file], {file: patch}))


def test_python_nested_quantifier_in_an_email_check() -> None:
    patch = """\
@@ -1,2 +1,3 @@
 import re
+EMAIL = re.compile(r"^([a-zA-Z0-9]+[-.]?)+@example\\.com$")
 EMAIL_MAX = 254
"""
    [hit] = findings("app/validators.py", patch)
    assert (hit.file, hit.line) == ("app/validators.py", 2)
    assert "regex `^([a-zA-Z0-9]+[-.]?)+@example\\.com$`" in hit.message
    assert "nested in a repetition" in hit.message
    assert hit.strength >= 0.8 and "cpu" in hit.symptoms


def test_javascript_literal_and_java_escaped_string() -> None:
    ts = "@@ -4,0 +5 @@\n+const TITLE = /^(\\w+\\s?)*$/;\n"
    [hit] = findings("src/validate.ts", ts)
    assert hit.line == 5 and "`^(\\w+\\s?)*$`" in hit.message
    java = (
        "@@ -9,0 +10 @@\n"
        '+    private static final Pattern P = Pattern.compile("(\\\\d+|\\\\w+)*!");\n'
    )
    [alt] = findings("src/main/java/com/example/Check.java", java)
    assert alt.line == 10 and "overlapping alternatives" in alt.message
    assert "`(\\d+|\\w+)*!`" in alt.message


def test_ruby_csharp_sql_and_config() -> None:
    ruby = "@@ -2,0 +3 @@\n+  validates :name, format: { with: /\\A(\\w+\\s?)*\\z/ }\n"
    [rb] = findings("app/models/account.rb", ruby)
    assert rb.line == 3
    cs = '@@ -1,0 +1 @@\n+    var ok = Regex.IsMatch(input, @"^(\\w+\\s?)*$");\n'
    [csharp] = findings("src/Validation.cs", cs)
    assert csharp.line == 1 and csharp.strength > rb.strength  # Ruby 3.2+ memoizes
    sql = "@@ -1,0 +1 @@\n+SELECT id FROM items WHERE name ~ '^(a|aa)+$';\n"
    [pg] = findings("db/queries/items.sql", sql)
    assert "overlapping alternatives" in pg.message
    yaml = '@@ -3,0 +4 @@\n+    pattern: "^(.*,)*$"\n'
    [conf] = findings("config/validation.yaml", yaml)
    assert conf.line == 4 and "`^(.*,)*$`" in conf.message


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(.*)*x", r"(\w|\d)+$", r"(.|\s)*$", r"^(\s*\w+)*$", r"(x+x+)+y"],
)
def test_risky_shapes(pattern: str) -> None:
    assert risky(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    [
        r"^(\d+\.)+\d+$",  # a mandatory separator the repetition cannot match
        r"^(\w+\s)*$",
        r"(?:[^\"\\]|\\.)*",  # disjoint alternatives
        r"^[a-z]+(?:-[a-z]+)*$",
        r"(?>a+)+$",  # atomic group
        r"(a++)+$",  # possessive
        r"(.|\n)*$",
        r"^(a+){1,3}$",  # bounded and small
        r"^[\w.+-]+@[\w-]+\.[\w.]+$",
    ],
)
def test_safe_shapes(pattern: str) -> None:
    assert risky(pattern) is None


def test_python_merges_an_alternation_of_single_classes() -> None:
    assert risky(r"^(\w|\d)+x$") is not None  # Java, JavaScript, Ruby: exponential
    assert risky(r"^(\w|\d)+x$", merges_classes=True) is None  # Python: one class, [\w\d]
    assert risky(r"^(.|\s)*x$", merges_classes=True) is not None  # `.` is not merged


def test_safe_regexes_and_linear_engines_are_not_findings() -> None:
    safe = '@@ -1,0 +1 @@\n+EMAIL = re.compile(r"^[\\w.+-]+@[\\w-]+\\.[\\w.]+$")\n'
    assert findings("app/validators.py", safe) == []
    go = "@@ -1,0 +1 @@\n+var re = regexp.MustCompile(`^(a+)+$`)\n"  # RE2: linear time
    assert findings("internal/text/match.go", go) == []
    division = "@@ -1,0 +1 @@\n+const ratio = total / count / (a + b) * 2;\n"
    assert findings("src/math.ts", division) == []


def test_moved_regex_tests_and_comments_are_ignored() -> None:
    moved = '@@ -1 +1 @@\n-EMAIL = re.compile(r"^(a+)+$")\n+EMAIL  =  re.compile(r"^(a+)+$")\n'
    assert findings("app/validators.py", moved) == []
    test = '@@ -1,0 +1 @@\n+EVIL = re.compile(r"^(a+)+$")\n'
    assert findings("tests/test_validators.py", test) == []
    comment = '@@ -1,0 +1 @@\n+# EVIL = re.compile(r"^(a+)+$")\n'
    assert findings("app/validators.py", comment) == []


def test_an_unanchored_trailing_group_counts_less() -> None:
    anchored = '@@ -1,0 +1 @@\n+A = re.compile(r"^(\\w+\\s?)*$")\n'
    open_end = '@@ -1,0 +1 @@\n+B = re.compile(r"(\\w+\\s?)*")\n'
    [strong] = findings("app/a.py", anchored)
    [weak] = findings("app/b.py", open_end)
    assert weak.strength < strong.strength
