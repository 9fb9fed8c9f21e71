"""Placeholder: being written."""


def register(sub) -> None:
    sub.add_parser("intake", help="(being written)")
