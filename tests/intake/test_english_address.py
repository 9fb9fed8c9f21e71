"""English addresses as callers say them: numbers as words, a room with no word before it, a
room corrected. Sentences written for this test, not taken from any corpus."""

from __future__ import annotations

import pytest

from voice.intake.english import parse_address_en
from voice.intake.english_numbers import digits_for_words
from voice.intake.extract import extract


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("room three oh one", "room 301"),
        ("Twelve-Oh-Seven", "1207"),
        ("one two zero eight", "1208"),
        ("seven hundred and four", "704"),
        ("two thousand and six", "2006"),
        ("thirty-one oh two", "3102"),
        ("double seven", "77"),
        ("Oh, sorry", "oh, sorry"),  # an "oh" that is not a zero
        ("nobody, not one of them", "nobody, not 1 of them"),
    ],
)
def test_number_words_become_digits(said, digits):
    assert digits_for_words(said)[0] == digits


@pytest.mark.parametrize(
    ("said", "home"),
    [
        ("Hi, this is block seventeen, unit two, flat six-oh-three, the toilet won't flush.",
         ("17", "2", "603")),
        ("My sink is blocked. Building 3, Unit 1, 1105.", ("3", "1", "1105")),
        ("Water is dripping into 704 of building eight, unit two.", ("8", "2", "704")),
        ("Building twenty, unit one, room nine-oh-two, no wait, nine-oh-three.",
         ("20", "1", "903")),
        ("Tower 6 entrance 2 apartment twelve hundred and one", ("6", "2", "1201")),
    ],
)  # fmt: skip
def test_english_homes_said_many_ways(said, home):
    a = parse_address_en(said).address
    assert (a.building, a.unit, a.room) == home


def test_a_phone_number_is_not_read_as_a_room():
    a = parse_address_en("My number is 139 8765 4321, building 4 unit 2, about the lift.").address
    assert (a.building, a.unit, a.room) == ("4", "2", None)


def test_the_evidence_quotes_the_callers_words():
    d = extract("Hello, building eleven, unit three, room fourteen-oh-six, my heating is off.")
    assert d.address.code() == "11-3-1406"
    quoted = [e.text for e in d.evidence if e.field == "address"]
    assert "fourteen-oh-six" in quoted and "building eleven" in quoted
