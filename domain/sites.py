"""Sites (楼盘/小区): every phone line belongs to one, and so does what it records — calls,
entries, findings, QA samples. A site has a short code (what rows store) and a display
name. An install that never names its site keeps everything in the default site."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_SITE = "default"
DEFAULT_SITE_NAME = "本站 Default"
CODE_LENGTH = 32
# letters (Chinese too), digits, '.', '_' and '-': safe in a URL, a file name, a CSV cell
_CODE = re.compile(r"^[\w.\-]+$")


@dataclass(frozen=True)
class Site:
    code: str
    name: str

    @property
    def label(self) -> str:
        return self.name if self.name == self.code else f"{self.name} ({self.code})"


DEFAULT = Site(DEFAULT_SITE, DEFAULT_SITE_NAME)


def check_code(code: str) -> str:
    """The code as given, or ValueError saying what a code may hold."""
    if not code or len(code) > CODE_LENGTH or not _CODE.match(code):
        raise ValueError(
            f"site code {code!r}: 1-{CODE_LENGTH} letters, digits, '.', '_' or '-' (no spaces)"
        )
    return code


def site_of(name: str | None, code: str | None) -> Site:
    """The site a desk's settings name: ``site`` (display name) and ``site_code``; the code
    defaults to the name, the name to the code, and neither to the default site."""
    name = (name or "").strip() or None
    code = (code or "").strip() or None
    if name is None and code is None:
        return DEFAULT
    code = check_code(code or name or "")
    if name is None:
        name = DEFAULT_SITE_NAME if code == DEFAULT_SITE else code
    return Site(code, name)
