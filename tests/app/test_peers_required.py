"""A test whose peer program is missing fails, naming the package, instead of skipping;
daemons in sbin are found for a user whose PATH lacks it."""

from __future__ import annotations

import pytest

from tests.conftest import tool

pytest_plugins = ["pytester"]


def test_a_missing_peer_fails_the_test_and_names_the_package(pytester):
    pytester.makeconftest("from tests.conftest import pytest_runtest_setup  # noqa: F401\n")
    pytester.makeini('[pytest]\nmarkers =\n    needs(*programs): peers\n')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.needs("sipp", "no-such-peer-xyz")
        def test_drives_a_peer():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)  # failed in setup: not skipped
    result.stdout.fnmatch_lines(["*no-such-peer-xyz not installed*make test installs it*"])


def test_peers_in_sbin_are_found_without_sbin_on_path(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    found = tool("kamailio")
    if found is None:
        pytest.fail("kamailio not installed: apt-get install kamailio (make test installs it)")
    assert found.startswith(("/usr/sbin/", "/sbin/", "/usr/local/sbin/"))
