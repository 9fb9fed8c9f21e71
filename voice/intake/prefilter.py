"""Regular expressions that skip, in one character test, the places where no match can begin.

Python's ``re`` tries every branch of a long alternation (又|再次|反映过|… 45 of them) at
every position of the text, unless it can see the characters a match starts with, which it
cannot under ``re.I`` or behind a lookbehind. ``prefiltered`` works that set out from the
parsed pattern and puts it in front as a lookahead: the same matches, found several times
faster. A pattern whose first character it cannot tell (``\\s+``, ``.``, an optional start)
is compiled as it is.
"""

from __future__ import annotations

import re
import re._constants as sre  # the parser's own vocabulary; both are stable since 3.11
import re._parser as sre_parse

_MAX_RANGE = 512  # a character range wider than this is not spelt out


def first_chars(pattern: str, flags: int = 0) -> set[str] | None:
    """The characters any match of ``pattern`` starts with, or None when they are unknown or
    a match may be empty. Under ``re.I`` the set is matched case-insensitively like the rest."""
    return _first(list(sre_parse.parse(pattern, flags)))


def _first(items: list) -> set[str] | None:
    for op, av in items:
        if op is sre.AT or (op in (sre.ASSERT, sre.ASSERT_NOT) and av[0] < 0):
            continue  # zero width (a boundary, a lookbehind): the next item consumes first
        if op is sre.LITERAL:
            return {chr(av)}
        if op is sre.SUBPATTERN:
            return _first(list(av[-1]))
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            return _first(list(av[2])) if av[0] >= 1 else None
        if op is sre.BRANCH:
            out: set[str] = set()
            for branch in av[1]:
                f = _first(list(branch))
                if f is None:
                    return None
                out |= f
            return out
        if op is sre.IN:
            out = set()
            for o, a in av:
                if o is sre.LITERAL:
                    out.add(chr(a))
                elif o is sre.RANGE and a[1] - a[0] < _MAX_RANGE:
                    out.update(chr(c) for c in range(a[0], a[1] + 1))
                else:
                    return None  # a negated set, a category (\d, \s …)
            return out
        return None
    return None  # nothing consumed: the empty match


def prefiltered(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)`` with a lookahead on the first character: the same
    matches (findall, finditer, search, sub) at the same places."""
    chars = first_chars(pattern, flags)
    if not chars:
        return re.compile(pattern, flags)
    cls = "".join(re.escape(c) for c in sorted(chars))
    return re.compile(f"(?=[{cls}])(?:{pattern})", flags)


# Every character an ASCII letter of a pattern can match, re.I's Unicode folds too (İ ı ſ and
# the Kelvin sign, found by trying every code point): a text without one of these is matched
# by a pattern's other alternatives alone.
LATIN = re.compile("[A-Za-z\u0130\u0131\u017f\u212a]")


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` ("a|(b|c)d" → ["a", "(b|c)d"])."""
    out, depth, start, i, in_set = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 1
        elif in_set:
            in_set = ch != "]" or pattern[i - 1] == "["
        elif ch == "[":
            in_set = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def latin_free(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``pattern`` without the top-level alternatives that must begin with an ASCII letter
    (``(second|third) time``, ``\\bburst``), for texts ``LATIN`` finds nothing in: there, the
    same matches. Chinese alternatives that each begin with a character let ``re`` skip from
    one possible start to the next in C, the whole pattern cannot (it tries every position)."""
    keep = [a for a in alternatives(pattern)
            if not (f := first_chars(a, flags)) or not all(c.isascii() and c.isalpha() for c in f)]  # fmt: skip
    if not keep:
        return re.compile("(?!)")
    return re.compile("|".join(keep), flags)
