"""The one exception type that the CLI turns into a one-line message and exit code 2."""

from __future__ import annotations

from collections.abc import Sequence


class UserError(Exception):
    """A problem with the user's input or setup; the message says what to do about it.

    ``settings`` names the settings (config field names, e.g. ``"source_language"``) the message
    is about. Code below the CLI names settings, never flags; the CLI adds each setting's flag
    (``--source-language``) to the line it prints, through :func:`hybridir.core.settings.flag_hint`.
    """

    def __init__(self, message: str, *, settings: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.settings = tuple(settings)
