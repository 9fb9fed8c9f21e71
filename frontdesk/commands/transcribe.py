"""Placeholder: being written."""


def register(sub) -> None:
    sub.add_parser("transcribe", help="(being written)")
