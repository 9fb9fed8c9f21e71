"""Placeholder: being written."""


def register(sub) -> None:
    sub.add_parser("worker", help="(being written)")
