"""Placeholder: being written."""


def register(sub) -> None:
    sub.add_parser("calls", help="(being written)")
