"""Bitext as training data: a folder of line-aligned text files, one per language.

Two layouts are read, both named by the language code in the file name:

- NTREX-128 (``newstest2019-ref.<code>.txt``): the code is the last dot-separated part before
  ``.txt``, an ISO 639-3 code with an optional region or script (``deu``, ``arb``, ``fas``,
  ``eng-US``, ``zho-CN``). It is mapped to the project's code by
  :func:`hybridir.languages.to_project_code` (langcodes, macrolanguages folded, region dropped):
  ``deu`` -> ``de``, ``arb`` -> ``ar``, ``fas`` -> ``fa``, ``swa`` -> ``sw``, ``eng-US`` -> ``en``,
  ``zho-CN`` -> ``zh``.
- Plain ``<lang>.txt`` (``de.txt``, ``sw.txt``) for users' own bitext.

Line ``i`` of every file is one example: in each language, the line is both the "question"
and the "positive", so a cross-lingual pair is a sentence and its translation. A bitext line
is never paired with itself (a same-language pair would be a sentence and the same sentence),
so bitext serves x-y batches only. The hard negative in each language is the next line (the
previous one for the last line): news text in order, so usually a sentence of the same story.
Lines are grouped in blocks of :data:`BLOCK_LINES` consecutive lines for the validation split,
a stand-in for documents when the folder carries no document ids.
"""

from __future__ import annotations

from pathlib import Path

from hybridir.data.examples import TrainingCorpus, TrainingExample, TrainingText
from hybridir.errors import UserError
from hybridir.languages import to_project_code

BLOCK_LINES = 32


def bitext_files(folder: Path) -> dict[str, Path]:
    """``language -> file`` of a bitext folder, or a one-line :class:`UserError`."""
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*.txt")):
        tag = path.stem.rsplit(".", 1)[-1]
        code = to_project_code(tag)
        if code is None:
            raise UserError(
                f"{path}: unknown language code {tag!r} in the file name: name bitext files <lang>.txt "
                "or <name>.<ISO 639 code>.txt (e.g. de.txt, newstest2019-ref.deu.txt)"
            )
        if code in found:
            raise UserError(
                f"{found[code].name} and {path.name} in {folder} are both language {code!r}: keep one"
            )
        found[code] = path
    if len(found) < 2:
        raise UserError(
            f"{folder} holds {len(found)} bitext file(s): bitext needs line-aligned files in two or more "
            "languages"
        )
    return found


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text ({exc.reason})") from exc


def read_bitext(folder: Path, languages: list[str] | None = None) -> tuple[TrainingCorpus, list[str]]:
    """The examples of a bitext folder (restricted to ``languages``), and notes on what was left out.

    Raises :class:`UserError` when the files differ in line count, a file name has no language
    code, or a requested language has no file.
    """
    files = bitext_files(folder)
    if languages is not None:
        missing = [lang for lang in languages if lang not in files]
        if missing:
            raise UserError(f"{folder} has no bitext in {missing[0]!r}: it has {', '.join(sorted(files))}")
        files = {lang: files[lang] for lang in languages}
    lines = {lang: _read_lines(path) for lang, path in sorted(files.items())}
    counts = {lang: len(text) for lang, text in lines.items()}
    if len(set(counts.values())) > 1:
        listed = ", ".join(
            f"{files[lang].name} {n}" for lang, n in sorted(counts.items(), key=lambda kv: kv[1])
        )
        raise UserError(
            f"bitext files in {folder} differ in line count ({listed}): lines must be aligned one to one"
        )
    n_lines = next(iter(counts.values()))
    examples = []
    blank = 0
    for i in range(n_lines):
        neighbour = i + 1 if i + 1 < n_lines else i - 1
        texts = {}
        for lang, text in lines.items():
            line = text[i].strip()
            if not line:
                blank += 1
                continue
            other = text[neighbour].strip() if neighbour >= 0 else ""
            texts[lang] = TrainingText(line, line, (other,) if other else ())
        if texts:
            examples.append(TrainingExample(f"line-{i + 1}", f"lines-{i // BLOCK_LINES}", texts))
    notes = [f"{folder.name}: {blank} blank line(s) left out of their languages"] if blank else []
    if not examples:
        raise UserError(f"bitext files in {folder} hold no text")
    return TrainingCorpus(examples, sorted(lines)), notes
