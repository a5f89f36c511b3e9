"""The sweep results store: one SQLite file, one row per instance key.

A row is written in one transaction when its instance ends, solved or
failed, so an interrupted sweep leaves only whole rows and a re-run skips
them. Records are JSON (parameters, status, values, times).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key      TEXT PRIMARY KEY,
    status   TEXT NOT NULL,
    record   TEXT NOT NULL,
    written  REAL NOT NULL
)
"""


class ResultStore:
    """Results by instance key in ``path`` (created if missing)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60.0)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers (a progress poll, a test) never block the writer
        self._db.execute(SCHEMA)
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def keys(self, exclude_status: tuple[str, ...] = ()) -> set[str]:
        """Keys of the stored records, less those whose status is in ``exclude_status``."""
        rows = self._db.execute(f"SELECT key FROM results WHERE status NOT IN ({','.join('?' * len(exclude_status))})",
                                exclude_status)
        return {row[0] for row in rows}

    def put(self, record: dict[str, Any]) -> None:
        """Insert or replace the record of ``record["key"]`` (one transaction)."""
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                             (record["key"], record["status"], json.dumps(record), time.time()))

    def get(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Records of those ``keys`` that are present."""
        keys = list(keys)
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 500):  # SQLite's bound-parameter limit
            chunk = keys[start:start + 500]
            rows = self._db.execute(
                f"SELECT key, record FROM results WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            out.update({key: json.loads(rec) for key, rec in rows})
        return out

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
