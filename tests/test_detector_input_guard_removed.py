"""input_guard_removed: a sanitizer, escape, truncation or character filter taken away."""

from __future__ import annotations

from agents.root_cause.detectors import input_guard_removed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding
from agents.root_cause.symptoms import families


def findings(file: str, patch: str) -> list[Finding]:
    return input_guard_removed.detect(change_facts("PR #1", [file], {file: patch}))


def test_a_flag_that_dropped_emoji_taken_away() -> None:
    patch = """\
@@ -10,3 +10,3 @@ class CommentIn(BaseModel):
     def _clean(cls, value):
-        return normalise(value, strip_emoji=True)
+        return normalise(value)
"""
    [hit] = findings("app/comments/schemas.py", patch)
    assert hit.line == 11 and "strip_emoji" in hit.message and "data" in hit.symptoms


def test_a_sanitizer_and_a_truncation_removed() -> None:
    sanitizer = """\
@@ -4,3 +4,3 @@ export async function saveBio(user, bio) {
-  const clean = sanitizeHtml(bio, { allowedTags: [] });
-  await db.users.update(user.id, { bio: clean });
+  await db.users.update(user.id, { bio });
"""
    assert findings("src/profile/bio.ts", sanitizer)
    truncation = """\
@@ -20,2 +20,2 @@ func (s *Store) SaveNote(n Note) error {
-\tn.Body = truncateRunes(n.Body, 500)
 \treturn s.db.Save(&n).Error
"""
    assert findings("internal/notes/store.go", truncation)


def test_a_java_escape_removed() -> None:
    patch = """\
@@ -30,2 +30,2 @@ public class ReviewService {
-        review.setText(StringEscapeUtils.escapeHtml4(input.getText()));
+        review.setText(input.getText());
"""
    assert findings("src/main/java/shop/ReviewService.java", patch)


def test_not_whitespace_trims_or_encoders() -> None:
    trim = "@@ -1,2 +1,2 @@\n-    name = name.strip()\n+    name = name\n"
    assert findings("app/names.py", trim) == []
    encoder = "@@ -1,2 +1,2 @@\n-  body = JSON.stringify(encodeURIComponent(q))\n+  body = q\n"
    assert findings("src/search.ts", encoder) == []


def test_not_a_guard_kept_moved_or_added() -> None:
    moved = """\
@@ -3,4 +3,4 @@
-    text = sanitize(text)
     save(text)
+    text = sanitize(text)
"""
    assert findings("app/save.py", moved) == []
    added = "@@ -1,2 +1,3 @@\n     value = request.form['title']\n+    value = escape(value)\n"
    assert findings("app/forms.py", added) == []


def test_not_comments_or_tests() -> None:
    comment = "@@ -1,2 +1,1 @@\n-    # value = sanitize(value)\n     save(value)\n"
    assert findings("app/save.py", comment) == []
    test = "@@ -1,2 +1,1 @@\n-    assert sanitize('<b>') == ''\n"
    assert findings("tests/test_sanitize.py", test) == []


def test_the_stores_refusals_are_read_as_data() -> None:
    for text in ("(1366, \"Incorrect string value: '\\\\xF0\\\\x9F' for column 'name'\")",
                 'ERROR: invalid byte sequence for encoding "UTF8": 0xf0 0x9f',
                 "Data truncation: Out of range value for column 'qty'"):  # fmt: skip
        assert "data" in families([text]), text
