"""Where the project keeps what it downloads or computes, and whether it may use the network."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The user cache root (models, data, embeddings): ``$HYBRIDIR_CACHE``, else ``~/.cache/hybridir``."""
    return Path(os.environ.get("HYBRIDIR_CACHE", Path.home() / ".cache" / "hybridir"))


def hub_offline() -> bool:
    """True when the user switched the Hugging Face hub off (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)."""
    return any(
        os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )
