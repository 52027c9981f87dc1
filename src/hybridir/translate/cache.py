"""An on-disk translation cache, so reruns and crashes lose nothing and cost nothing.

One SQLite table keyed by (model, target language, source text). The model key also carries the
decoding settings that change outputs (see :func:`hybridir.translate.engine.model_key`). The
database runs in WAL mode so that several shard processes on one machine can share it, and the
pipeline commits after every batch, so a crash loses at most the batch in flight. Keep it on a
local disk: SQLite's locking is unreliable on network file systems.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from hybridir.errors import UserError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    model TEXT NOT NULL,
    language TEXT NOT NULL,
    source TEXT NOT NULL,
    translation TEXT NOT NULL,
    truncated INTEGER NOT NULL,
    PRIMARY KEY (model, language, source)
) WITHOUT ROWID
"""
_CHUNK = 500  # texts per SELECT: well under SQLite's bound-parameter limit


class Translation(NamedTuple):
    """A model output and whether it hit the length limit (input or output side)."""

    text: str
    truncated: bool


class TranslationCache:
    """Translations stored in a SQLite file; use as a context manager."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, timeout=120)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise UserError(f"translation cache {path} is unusable ({exc}): delete it and rerun") from exc
        self.path = path

    def get_many(self, model: str, language: str, sources: Sequence[str]) -> dict[str, Translation]:
        """Cached translations of ``sources`` (those not cached are absent)."""
        found: dict[str, Translation] = {}
        for start in range(0, len(sources), _CHUNK):
            chunk = list(sources[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT source, translation, truncated FROM translations "
                f"WHERE model = ? AND language = ? AND source IN ({marks})",
                [model, language, *chunk],
            )
            found.update((source, Translation(text, bool(cut))) for source, text, cut in rows)
        return found

    def put_many(self, model: str, language: str, items: Iterable[tuple[str, Translation]]) -> None:
        """Store translations and commit, so they survive a crash right after."""
        self._db.executemany(
            "INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?)",
            [(model, language, source, t.text, int(t.truncated)) for source, t in items],
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TranslationCache:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
