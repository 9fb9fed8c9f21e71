import pytest

from voice.sip.ring_policy import RingPolicy


def test_china_three_rings_answer_at_end_of_third_ring():
    p = RingPolicy.preset("cn")
    assert p.auto_answer_at() == pytest.approx(11.0)  # rings start at 0, 5, 10 s
    assert p.rings_at(0.0) == 1
    assert p.rings_at(4.99) == 1
    assert p.rings_at(5.0) == 2
    assert p.rings_at(10.5) == 3
    assert p.rings_at(15.0) == 4  # a 4th ring would start here: never reached


def test_north_america_cadence():
    p = RingPolicy.preset("na", answer_after_rings=3)
    assert p.auto_answer_at() == pytest.approx(14.0)
    assert p.tone_hz == (440, 480)


def test_zero_rings_means_agent_only():
    assert RingPolicy(0).auto_answer_at() is None


@pytest.mark.parametrize("kwargs", [{"answer_after_rings": -1}, {"ring_on": 0}, {"ring_off": -1}])
def test_bad_policy_is_refused(kwargs):
    with pytest.raises(ValueError):
        RingPolicy(**kwargs)


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ValueError, match="cn"):
        RingPolicy.preset("xx")
