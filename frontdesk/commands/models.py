"""Placeholder: being written."""


def register(sub) -> None:
    sub.add_parser("models", help="(being written)")
