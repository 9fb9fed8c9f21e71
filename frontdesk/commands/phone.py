"""Placeholder: being written."""


def register(sub) -> None:
    sub.add_parser("phone", help="(being written)")
