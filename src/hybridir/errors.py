"""The one exception type that the CLI turns into a one-line message and exit code 2."""


class UserError(Exception):
    """A problem with the user's input or setup; the message says what to do about it."""
