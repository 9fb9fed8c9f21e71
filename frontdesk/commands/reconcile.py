"""Placeholder: being written."""


def register(sub) -> None:
    sub.add_parser("reconcile", help="(being written)")
