"""`frontdesk run` in each role of a company's deployment: what processes a desk and the
central machine start, and that a desk can leave reconciling to the central one."""

import pytest

from frontdesk.cli import build_parser
from frontdesk.commands.run import children_for
from frontdesk.errors import UserError


def _names(*argv: str) -> list[str]:
    args = build_parser().parse_args(["run", *argv])
    return [c.name for c in children_for(args, ["frontdesk"])]


def test_one_desk_runs_everything_as_before():
    assert _names() == ["phone", "worker-1", "console"]


def test_a_company_desk_and_the_central_machine():
    assert _names("--reconcile-every", "0") == ["phone", "worker-1", "console"]
    assert _names("--no-phone", "--workers", "0") == ["console"]
    assert _names("--no-phone", "--workers", "2", "--no-console") == ["worker-1", "worker-2"]


def test_nothing_to_run_is_an_error():
    with pytest.raises(UserError, match="nothing to run"):
        _names("--no-phone", "--workers", "0", "--no-console", "--reconcile-every", "0")
    with pytest.raises(UserError, match="--workers"):
        _names("--workers", "-1")
