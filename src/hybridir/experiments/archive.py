"""A grid's small outputs in a folder that can be committed, so a grid outlives its machine.

Trained models do not survive a move to a fresh machine, but a finished cell needs no model
once it is evaluated: its metrics, per-query values and training summary are all the report
reads. :func:`archive_grid` copies those (per_query.jsonl gzipped, about 27x smaller) into a
folder with the grid's own layout; copying that folder back to ``--out`` continues the grid
there, because the runner skips every stage whose output exists and does not train a cell
whose evaluations are all done. Models, checkpoints and the regenerated training / sample
data are left out.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from hybridir.core.files import atomic_open

PER_QUERY = "per_query.jsonl"
ARCHIVED_PER_QUERY = PER_QUERY + ".gz"
SMALL_SUFFIXES = frozenset({".json", ".jsonl", ".md", ".yaml", ".png"})
LEFT_OUT_FOLDERS = frozenset({"model", "checkpoints"})  # under a cell's train/
LEFT_OUT_TOP = frozenset({"eval-data"})  # test samples, rebuilt from the settings on a rerun
FIGURES = "figures"  # the report's figures: the archive's copy mirrors the grid's, stale PNGs removed


def per_query_file(folder: Path) -> Path | None:
    """The per-query values of an evaluation folder: plain, or gzipped as archived; None if absent."""
    for name in (PER_QUERY, ARCHIVED_PER_QUERY):
        if (folder / name).is_file():
            return folder / name
    return None


def _kept(relative: Path) -> bool:
    parts = relative.parts
    if parts[0] in LEFT_OUT_TOP or LEFT_OUT_FOLDERS.intersection(parts[:-1]):
        return False
    if parts[0] == "data":  # the training files' manifests, not the files (rebuilt on a rerun)
        return relative.suffix == ".json"
    return relative.suffix in SMALL_SUFFIXES or relative.name == ARCHIVED_PER_QUERY


def _unfinished_training(out: Path, relative: Path) -> bool:
    """Whether ``relative`` lies in a training folder without its summary (still running, or
    killed): archived, its settings and partial log would be taken for a run to resume, with
    no checkpoint to resume from."""
    parts = relative.parts
    if "train" not in parts[:-1]:
        return False
    train = out.joinpath(*parts[: parts.index("train") + 1])
    return not (train / "summary.json").is_file()


def _up_to_date(source: Path, target: Path) -> bool:
    return target.is_file() and target.stat().st_mtime >= source.stat().st_mtime


def archive_grid(out: Path, archive: Path) -> int:
    """Copy the small outputs of grid folder ``out`` into ``archive``; return how many files changed.

    A training that has not finished is left out. Files already archived and not newer in
    ``out`` are left alone, so rerunning after every cell costs little and leaves unchanged
    files byte-identical (gzip without a timestamp). A figure the grid's report no longer
    draws is deleted from the archive too.
    """
    changed = 0
    for source in sorted(out.rglob("*")):
        relative = source.relative_to(out)
        if not source.is_file() or not _kept(relative) or _unfinished_training(out, relative):
            continue
        target = archive / relative
        if relative.name == PER_QUERY:
            target = target.with_name(ARCHIVED_PER_QUERY)
        if _up_to_date(source, target):
            continue
        with atomic_open(target, "wb") as handle:
            if relative.name == PER_QUERY:
                with source.open("rb") as raw, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as packed:
                    shutil.copyfileobj(raw, packed)
            else:
                handle.write(source.read_bytes())
        changed += 1
    if (out / FIGURES).is_dir():
        for stale in sorted((archive / FIGURES).glob("*.png")):
            if not (out / FIGURES / stale.name).is_file():
                stale.unlink()
                changed += 1
    return changed
