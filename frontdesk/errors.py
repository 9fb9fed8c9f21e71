"""Errors the CLI reports as one readable line instead of a traceback."""


class UserError(Exception):
    """Bad input or missing set-up: the message says what and how to fix it."""

    exit_code = 2
