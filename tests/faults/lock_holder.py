"""Child process that holds the database's write lock, like a backup tool or
someone in the sqlite3 shell would.

    python -m tests.faults.lock_holder DB [IMMEDIATE|EXCLUSIVE]

Begins a write transaction, writes a row the bot would never write, prints
``locked`` and waits for any line on stdin. Then it rolls back (so the probe
row never becomes visible), prints ``released`` and exits. Plain ``sqlite3``
on purpose: another program, not another studybot.
"""

from __future__ import annotations

import sqlite3
import sys


def main() -> None:
    db, mode = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "EXCLUSIVE")
    if mode not in {"IMMEDIATE", "EXCLUSIVE"}:
        raise SystemExit(f"unknown lock mode {mode}")
    conn = sqlite3.connect(db, isolation_level=None, timeout=5)
    conn.execute(f"BEGIN {mode}")
    conn.execute("INSERT INTO spaces (platform, external_id) VALUES ('lock-holder', 'probe')")
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
    conn.close()
    print("released", flush=True)


if __name__ == "__main__":
    main()
