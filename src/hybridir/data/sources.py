"""Where each named data set lives: a local folder, or the public source it downloads from.

Lookup order for a named benchmark: an explicit ``--data-dir``; ``$HYBRIDIR_DATA/<name>/``
(a folder laid out like the repository's ``../shared/data``); the user cache
``$HYBRIDIR_CACHE`` (default ``~/.cache/hybridir``) ``/data/<name>/`` that
``hybridir data download`` fills.
"""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from hybridir.core.files import atomic_open
from hybridir.core.paths import cache_dir
from hybridir.errors import UserError

_LAREQA = "https://raw.githubusercontent.com/google-research-datasets/lareqa"
_ANSERINI_TOOLS = "https://raw.githubusercontent.com/castorini/anserini-tools"
_LASER = "https://raw.githubusercontent.com/facebookresearch/LASER"
_CMRC2018 = "https://raw.githubusercontent.com/ymcui/cmrc2018"
_SOQAL = "https://raw.githubusercontent.com/husseinmozannar/SOQAL"


@dataclass(frozen=True)
class DataSource:
    """A named data set: the files it needs and the public URL of each."""

    name: str
    files: tuple[str, ...]
    url_template: str  # formatted with {file}
    licence: str

    def url(self, file: str) -> str:
        return self.url_template.format(file=file)


# The parallel QA benchmarks (LAReQA's): the ones a model trains on, and the main tests of a grid.
LAREQA_BENCHMARKS = ("xquad-r", "mlqa-r")
XQUAD_R_LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
MLQA_R_LANGUAGES = ("ar", "de", "en", "es", "hi", "vi", "zh")
MIRACL_DEV_LANGUAGES = (
    "ar",
    "bn",
    "de",
    "en",
    "es",
    "fa",
    "fi",
    "fr",
    "hi",
    "id",
    "ja",
    "ko",
    "ru",
    "sw",
    "te",
    "th",
    "yo",
    "zh",
)
# The 20 Tatoeba languages the project evaluates (LASER has 112), as ISO 639-3 codes in its file names.
TATOEBA_FILE_CODES = [
    "ara",
    "ben",
    "cmn",
    "deu",
    "ell",
    "fin",
    "fra",
    "hin",
    "ind",
    "jpn",
    "kor",
    "pes",
    "ron",
    "rus",
    "spa",
    "swh",
    "tel",
    "tha",
    "tur",
    "vie",
]

SOURCES: dict[str, DataSource] = {
    "xquad-r": DataSource(
        "xquad-r",
        tuple(f"{lang}.json" for lang in XQUAD_R_LANGUAGES),
        # XQuAD-R is in LAReQA's current tree.
        _LAREQA + "/9bc8c7fb6dd8d01d72a05a93c2cb96882b0d299c/xquad-r/{file}",
        "CC BY-SA 4.0",
    ),
    "mlqa-r": DataSource(
        "mlqa-r",
        tuple(f"{lang}.json" for lang in MLQA_R_LANGUAGES),
        # MLQA-R was removed from LAReQA's HEAD; this is the last commit that holds it.
        _LAREQA + "/354d67d1cd066854cdfbf5ad0e6105528976141d/mlqa-r/{file}",
        "CC BY-NC 4.0 (research use)",
    ),
    "miracl": DataSource(
        "miracl",
        tuple(
            f"{kind}.miracl-v1.0-{lang}-dev.tsv"
            for lang in MIRACL_DEV_LANGUAGES
            for kind in ("topics", "qrels")
        ),
        _ANSERINI_TOOLS + "/5b819c1a45c8a0a3ec9426f476694f44a29dfaf3/topics-and-qrels/{file}",
        "Apache-2.0",
    ),
    "tatoeba": DataSource(
        "tatoeba",
        tuple(f"tatoeba.{code}-eng.{side}" for code in TATOEBA_FILE_CODES for side in (code, "eng")),
        _LASER + "/74bc6ae7ffb7cba670fe0f428d0ede9f666fb821/data/tatoeba/v1/{file}",
        "CC BY 2.0 FR (Tatoeba)",
    ),
    "cmrc2018": DataSource(
        "cmrc2018",
        ("cmrc2018_dev.json",),
        _CMRC2018 + "/c0eb1b6ba219847457e6af3180da722bbeb656af/squad-style-data/{file}",
        "CC BY-SA 4.0",
    ),
    "arcd": DataSource(
        "arcd",
        ("arcd-test.json",),
        _SOQAL + "/1229d34aa2b7a0b9a2e4858c9268e68f45d7e3c4/data/{file}",
        "MIT",
    ),
}


def source(name: str) -> DataSource:
    if name not in SOURCES:
        raise UserError(f"unknown data set {name!r}: choose one of {', '.join(SOURCES)}")
    return SOURCES[name]


def resolve_data_dir(name: str, data_dir: str | Path | None = None) -> Path:
    """Find the folder holding data set ``name``, or raise a one-line :class:`UserError`."""
    source(name)
    if data_dir is not None:
        path = Path(data_dir)
        if not path.is_dir():
            raise UserError(f"data folder {path} does not exist: pass a folder holding the {name} files")
        return path
    candidates = []
    if os.environ.get("HYBRIDIR_DATA"):
        candidates.append(Path(os.environ["HYBRIDIR_DATA"]) / name)
    candidates.append(cache_dir() / "data" / name)
    for path in candidates:
        if path.is_dir() and any(path.iterdir()):
            return path
    raise UserError(
        f"no local copy of {name}: run `hybridir data download {name}`, "
        f"or set HYBRIDIR_DATA to a folder holding {name}/, or give the data folder",
        settings=("data_dir",),
    )


def download(name: str, target_root: Path | None = None, force: bool = False) -> Path:
    """Download every file of data set ``name`` into ``<target_root>/<name>/``.

    Files are written to a temporary name and renamed when complete, so an interrupted
    download never leaves a truncated file that looks finished.
    """
    src = source(name)
    target = (target_root or cache_dir() / "data") / name
    target.mkdir(parents=True, exist_ok=True)
    for file in tqdm(src.files, desc=f"download {name}", unit="file"):
        final = target / file
        if final.exists() and not force:
            continue
        try:
            with (
                urllib.request.urlopen(src.url(file), timeout=30) as response,
                atomic_open(final, "wb") as out,
            ):
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as exc:
            raise UserError(
                f"could not download {src.url(file)} ({exc}): check the network, or set HYBRIDIR_DATA "
                f"to a folder holding {name}/"
            ) from exc
    return target


def copy_local(name: str, source_root: Path, target_root: Path | None = None) -> Path:
    """Copy data set ``name`` from a local folder laid out like ``../shared/data``."""
    src_dir = source_root / name
    if not src_dir.is_dir():
        raise UserError(f"{src_dir} does not exist: name a folder that holds {name}/")
    target = (target_root or cache_dir() / "data") / name
    target.mkdir(parents=True, exist_ok=True)
    for path in src_dir.iterdir():
        if path.is_file():
            shutil.copy2(path, target / path.name)
    return target


def prepare_benchmarks(names: tuple[str, ...], fallback: Path | None = None) -> list[str]:
    """Make each named data set findable: already there, else download, else copy ``fallback``.

    Returns one line per data set saying where it is and how it got there.
    """
    for name in names:
        source(name)  # an unknown name fails before any download
    lines = []
    for name in names:
        try:
            lines.append(f"{name}: ready in {resolve_data_dir(name)}")
            continue
        except UserError:
            pass
        try:
            lines.append(f"{name}: downloaded to {download(name)}")
        except UserError as exc:
            if fallback is None or not (fallback / name).is_dir():
                raise UserError(
                    f"could not download {name} and no local copy was given: set HYBRIDIR_DATA to a "
                    f"folder holding {name}/ (laid out like the repository's shared/data), "
                    "or rerun with a fallback folder",
                    settings=("fallback",),
                ) from exc
            lines.append(f"{name}: offline, copied from {fallback / name} to {copy_local(name, fallback)}")
    return lines
