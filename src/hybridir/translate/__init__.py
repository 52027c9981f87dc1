"""Machine translation of source-language QA data into filtered parallel training data.

``run_translate(TranslateConfig(...))`` is what ``hybridir translate`` runs; see ``docs/translate.md``.
"""

from hybridir.translate.filters import FILTERS
from hybridir.translate.pipeline import TranslateConfig, run_translate

__all__ = ["FILTERS", "TranslateConfig", "run_translate"]
