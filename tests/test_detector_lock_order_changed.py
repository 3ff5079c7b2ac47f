"""lock_order_changed: a lock-taking call moved to the other side of another data-access call."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import lock_order_changed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return lock_order_changed.detect(change_facts("PR #1", [file], {file: patch}))


# a transfer now debits the wallet before taking the ledger lock, where it took it first
TS_MOVED = (
    "@@ -10,8 +10,8 @@ export async function transfer(tx: Tx, t: Transfer) {\n"
    "-  const ledger = await lockLedger(tx, t.ledgerId);\n"
    "   await debitWallet(tx, t.walletId, t.amount);\n"
    "+  const ledger = await lockLedger(tx, t.ledgerId);\n"
    "   await appendEntry(tx, ledger, t);\n"
    " }\n"
)
# SQL FOR UPDATE on accounts moved after the update of the seats table
PY_MOVED = (
    "@@ -20,7 +20,7 @@ def book(cur, seat_id, account_id):\n"
    '-    cur.execute("SELECT * FROM accounts WHERE id = %s FOR UPDATE", (account_id,))\n'
    '     cur.execute("UPDATE seats SET held = true WHERE id = %s", (seat_id,))\n'
    '+    cur.execute("SELECT * FROM accounts WHERE id = %s FOR UPDATE", (account_id,))\n'
    '     cur.execute("INSERT INTO bookings VALUES (%s, %s)", (seat_id, account_id))\n'
)
# a Go mutex taken before the database call now, after it before
GO_MOVED = (
    "@@ -30,6 +30,6 @@ func (s *Store) Save(ctx context.Context, tx pgx.Tx, item Item) error {\n"
    " \tif _, err := tx.Exec(ctx, upsertItem, item.ID); err != nil {\n"
    " \t\treturn err\n"
    " \t}\n"
    "-\ts.mu.Lock()\n"
    "+\ts.mu.Lock()\n"
)
GO_BEFORE = (
    "@@ -30,7 +30,7 @@ func (s *Store) Save(ctx context.Context, tx pgx.Tx, item Item) error {\n"
    "-\ts.mu.Lock()\n"
    " \tif _, err := tx.Exec(ctx, upsertItem, item.ID); err != nil {\n"
    " \t\treturn err\n"
    " \t}\n"
    "+\ts.mu.Lock()\n"
    " \tdefer s.mu.Unlock()\n"
)


@pytest.mark.parametrize(
    ("file", "patch", "said"),
    [
        ("src/payments/transfer.ts", TS_MOVED, "`lockLedger` after `debitWallet`"),
        ("app/booking.py", PY_MOVED, "after `execute`"),
        ("internal/store/save.go", GO_BEFORE, "after `Exec`"),
    ],
)  # fmt: skip
def test_lock_taken_in_a_new_order(file: str, patch: str, said: str) -> None:
    [hit] = findings(file, patch)
    assert said in hit.message and "locks" in hit.symptoms and "deadlock" in hit.message


@pytest.mark.parametrize(
    ("file", "patch"),
    [
        # the lock call stays where it was; only the line after it changes
        ("src/payments/transfer.ts", "@@ -10,4 +10,4 @@\n"
         "   const ledger = await lockLedger(tx, id);\n"
         "-  await debitWallet(tx, w, a);\n+  await debitWallet(tx, w, a, 'EUR');\n"),
        # a lock taken anew (nothing moved)
        ("src/payments/transfer.ts", "@@ -10,3 +10,4 @@\n   await debitWallet(tx, w, a);\n"
         "+  await lockLedger(tx, id);\n   await appendEntry(tx, l, t);\n"),
        # removed and added back at the same place relative to the other calls
        ("internal/store/save.go", GO_MOVED),
        # moved across a line that is no data access
        ("src/payments/transfer.ts", "@@ -10,4 +10,4 @@\n-  await lockLedger(tx, id);\n"
         "   const amount = Math.round(t.amount * 100);\n+  await lockLedger(tx, id);\n"),
        # the same move in a test file
        ("test/transfer.test.ts", TS_MOVED),
    ],
)  # fmt: skip
def test_no_new_lock_order(file: str, patch: str) -> None:
    assert findings(file, patch) == []
