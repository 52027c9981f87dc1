"""Files and folders that are complete or absent: written aside, flushed to disk, then renamed.

A process killed mid-write (Ctrl-C, the OOM killer, a power cut) leaves at most a hidden
``.<name>.<pid>.<random>.tmp`` beside the target, never a truncated file under the real name.
Every file the project writes goes through :func:`atomic_open` (the other helpers are built on it);
whole folders (a model, an embedding-cache entry, a data sample) through :func:`atomic_folder`.
Written by hand: the standard library has the pieces (``os.replace``, ``os.fsync``) but not the
recipe.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _aside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")


def _fsync_folder(folder: Path) -> None:
    """Persist a rename in ``folder`` (a no-op where folders cannot be opened, as on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a file aside of ``path`` for writing (``"w"`` text or ``"wb"`` bytes); on a clean exit
    flush it to disk and rename it to ``path``, on an error remove it. Creates missing folders."""
    if mode not in {"w", "wb"}:
        raise ValueError(f"atomic_open writes whole files: mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _aside(path)
    try:
        with open(temporary, mode.replace("w", "x"), encoding=None if "b" in mode else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically."""
    with atomic_open(path, "wb" if isinstance(data, bytes) else "w") as handle:
        handle.write(data)


def write_json(path: str | Path, value: Any, *, indent: int | None = 2, ensure_ascii: bool = False) -> None:
    """Write ``value`` as JSON text with a final newline to ``path`` atomically."""
    atomic_write(path, json.dumps(value, indent=indent, ensure_ascii=ensure_ascii) + "\n")


def read_text(path: str | Path) -> str:
    """A UTF-8 text file, gunzipped when its name ends in .gz (as archived grid outputs are)."""
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return handle.read()
    return path.read_text(encoding="utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_folder(target: str | Path, *, keep_existing: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; on a clean exit flush its files to disk and
    rename it to ``target`` (replacing an existing one, or, with ``keep_existing``, discarding the
    staging folder when ``target`` appeared meanwhile); on an error remove it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the target gets the usual mode
    try:
        yield staging
        _fsync_tree(staging)
        if target.exists():
            if keep_existing:
                shutil.rmtree(staging)
                return
            shutil.rmtree(target)
        staging.replace(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_folder(target.parent)
