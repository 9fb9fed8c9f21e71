"""Placeholder: being written."""


def register(sub) -> None:
    sub.add_parser("run", help="(being written)")
