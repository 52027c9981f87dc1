"""How a passage is built from a QA record: the answer sentence alone, or it with its paragraph."""

from __future__ import annotations

from hybridir.core.settings import Choice


class ContextMode(Choice):
    """``sentence``: the answer sentence (LAReQA's candidates); ``paragraph``: it plus its paragraph."""

    SENTENCE = "sentence"
    PARAGRAPH = "paragraph"

    def passage(self, sentence: str, paragraph: str) -> str:
        """The text encoded for ``sentence`` in ``paragraph`` under this mode."""
        return f"{sentence} {paragraph}" if self is ContextMode.PARAGRAPH else sentence
