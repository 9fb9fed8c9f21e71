"""Placeholder: being written."""


def register(sub) -> None:
    sub.add_parser("ledger", help="(being written)")
