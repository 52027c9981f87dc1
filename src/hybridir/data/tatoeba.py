"""The Tatoeba bitext retrieval test set (LASER / XTREME): line-aligned sentence pairs with English.

The folder holds ``tatoeba.<xxx>-eng.<xxx>`` and ``tatoeba.<xxx>-eng.eng`` for each language,
line ``i`` of one the translation of line ``i`` of the other, with ISO 639-3 codes in the
names (``cmn``, ``pes``, ``swh``, ``arb``...). They are mapped to the project's codes in this
one place, through :func:`hybridir.languages.to_project_code` (langcodes: ``cmn`` -> ``zh``).
A file whose name is no Tatoeba pair or no language code is reported in ``notes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hybridir.data.sources import resolve_data_dir
from hybridir.errors import UserError
from hybridir.languages import select_languages, to_project_code

_PAIR_FILE = re.compile(r"^tatoeba\.([a-z]{2,3})-eng\.([a-z]{2,3})$")
_DOCUMENTATION = frozenset({"LICENSE", "LICENSE.note", "README.laser.md", "README.md"})


@dataclass(frozen=True)
class TatoebaPair:
    """One language's test pairs: ``sentences[i]`` translates ``english[i]``."""

    language: str  # the project's code (zh)
    file_code: str  # the code in the file names (cmn)
    sentences: list[str]
    english: list[str]


@dataclass
class TatoebaSet:
    """The chosen pairs, in language order, and what in the folder was not used."""

    pairs: list[TatoebaPair]
    notes: list[str] = field(default_factory=list)

    @property
    def languages(self) -> list[str]:
        return [pair.language for pair in self.pairs]


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path} ({exc}): give UTF-8 text, one sentence a line") from exc


def find_pairs(folder: Path) -> tuple[dict[str, str], list[str]]:
    """``project code -> file code`` of the pairs in ``folder``, and one note per file left out."""
    codes: dict[str, str] = {}
    notes: list[str] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name in _DOCUMENTATION:
            continue
        match = _PAIR_FILE.match(path.name)
        if match is None:
            notes.append(f"{path.name}: not a tatoeba.<xxx>-eng.<xxx|eng> file, left out")
            continue
        file_code, side = match.groups()
        if side not in (file_code, "eng"):
            notes.append(f"{path.name}: suffix {side!r} is neither {file_code!r} nor 'eng', left out")
            continue
        language = to_project_code(file_code)
        if language is None:
            notes.append(f"{path.name}: {file_code!r} is no language code, left out")
            continue
        if side == file_code:
            if not (folder / f"tatoeba.{file_code}-eng.eng").is_file():
                notes.append(
                    f"{path.name}: its English side tatoeba.{file_code}-eng.eng is missing, left out"
                )
                continue
            codes[language] = file_code
    return codes, notes


def load_tatoeba(data_dir: str | Path | None = None, languages: str | None = None) -> TatoebaSet:
    """Read the pairs of ``languages`` (project codes; default all) from the Tatoeba folder."""
    folder = resolve_data_dir("tatoeba", data_dir)
    codes, notes = find_pairs(folder)
    if not codes:
        raise UserError(
            f"{folder} holds no tatoeba.<xxx>-eng.<xxx> files: point the data folder at the Tatoeba set",
            settings=("data_dir",),
        )
    chosen = select_languages(languages, sorted(codes), "tatoeba")
    pairs = []
    for language in chosen:
        file_code = codes[language]
        stem = folder / f"tatoeba.{file_code}-eng"
        sentences = _read_lines(Path(f"{stem}.{file_code}"))
        english = _read_lines(Path(f"{stem}.eng"))
        if len(sentences) != len(english):
            raise UserError(
                f"{stem}.{file_code} has {len(sentences)} lines but {stem}.eng has {len(english)}: "
                "the two sides must be line-aligned"
            )
        pairs.append(TatoebaPair(language, file_code, sentences, english))
    return TatoebaSet(pairs, notes)
