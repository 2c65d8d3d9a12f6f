"""ALLOcloud channel allowance, user counting and the quarterly reduction limit (004 §11.d, 003 §2)."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rb_harness import budget

from contracts.channels import (
    DEFAULT_TIERS,
    ChannelTerms,
    allowance,
    allowance_many,
    count_users,
    exact_allowance,
    min_users_after_quarter,
    parse_devices,
    reduction_schedule,
    terms_from_section,
)
from contracts.choices import Counting, DeviceKind, Rounding
from contracts.errors import InputError
from contracts.profile import load_profile

EXACT = ChannelTerms(rounding=Rounding.exact)


@pytest.mark.parametrize(
    ("users", "channels"),
    [
        (0, 0),
        (1, 2),
        (2, 4),
        (3, 5),
        (5, 7),
        (6, Fraction(15, 2)),
        (10, Fraction(19, 2)),
        (11, Fraction(39, 4)),
        (20, 12),
        (100, 32),
    ],
)
def test_contract_examples_exact(users, channels):
    assert exact_allowance(users) == channels
    assert allowance(users, EXACT) == channels


@pytest.mark.parametrize(("users", "channels"), [(0, 0), (6, 7), (10, 9), (11, 9), (12, 10), (100, 32)])
def test_floor_is_the_default_reading(users, channels):
    assert allowance(users) == channels


def test_marginal_reading_never_gives_more_users_fewer_channels():
    # The flat reading would give 3 users 3 channels, fewer than 2 users' 4.
    values = [exact_allowance(n) for n in range(0, 300)]
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))


@settings(max_examples=budget(40), deadline=None)
@given(n=st.integers(0, 20000), exact=st.booleans())
def test_vectorised_allowance_equals_scalar(n, exact):
    terms = EXACT if exact else ChannelTerms()
    assert allowance_many(np.array([n]), terms)[0] == float(allowance(n, terms))


def test_profile_tiers_are_the_default_tiers():
    profile = load_profile("allocloud")
    assert terms_from_section(profile.channels).tiers == DEFAULT_TIERS
    flipped = load_profile("allocloud", ["channels_rounding=exact"])
    assert (
        terms_from_section(flipped.channels, flipped.choices["channels_rounding"]).rounding is Rounding.exact
    )


def test_bad_tier_sections_are_input_errors():
    with pytest.raises(InputError, match="contiguous"):
        terms_from_section(
            {"tiers": [{"from": 1, "to": 2, "per_user": 2}, {"from": 4, "to": None, "per_user": 1}]}
        )
    with pytest.raises(InputError, match="open"):
        terms_from_section({"tiers": [{"from": 1, "to": 2, "per_user": 2}]})
    with pytest.raises(InputError, match="floor or exact"):
        terms_from_section({"tiers": [{"from": 1, "to": None, "per_user": 1}]}, "ceil")


def test_negative_users_is_an_input_error():
    with pytest.raises(InputError, match="users"):
        allowance(-1)


SEED_EXAMPLE = """device,kind,user,room
d1,desk_phone,Michel Desmet,
s1,softphone,Michel Desmet,
m1,mobile_app,Michel Desmet,
d2,desk_phone,Wim Dubois,
m2,mobile_app,Jean Devos,
,hot_desking,Karl Legrand,
door,door_phone,,
fax1,fax,,
sos,emergency_phone,,
pa,pager,,
bz,buzzer,,
fl,flasher,,
w1,common_room_phone,,atelier
st1,common_room_phone,,stock
st2,common_room_phone,,stock
mr1,meeting_room_phone,,salle de réunion
caf,meeting_room_phone,,cafétéria
,no_service_admin,Admin Remote,
,no_service_supervisor,Supervisor Remote,
"""


def test_seed_examples_count_as_the_terms_say():
    count = count_users(parse_devices(SEED_EXAMPLE))
    assert count.persons == 4  # Michel (3 devices), Wim, Jean, Karl (hot-desking) = 1 each
    assert count.common_room_phones == 3  # atelier 1 phone = 1, stock 2 phones = 2
    assert count.no_user_devices == 6
    assert count.users_room_phones == 2
    assert count.no_service_users == 2
    assert count.billable == 7
    assert count.by_kind["common_room_phone"] == 3


def test_every_kind_has_a_counting_rule():
    assert {k.counting for k in DeviceKind} == set(Counting)


@pytest.mark.parametrize(
    ("text", "line", "field", "match"),
    [
        ("device,kind,user,room\nd1,speakerphone,Ann,\n", 2, "kind", "unknown device kind 'speakerphone'"),
        ("device,kind,user,room\nd1,desk_phone,Ann,\nd1,softphone,Bob,\n", 3, "device", "already listed"),
        ("device,kind,user,room\nd1,desk_phone,,\n", 2, "user", "needs the user"),
        ("device,kind,user,room\nd1,common_room_phone,,\n", 2, "room", "needs the room"),
        ("device,kind,user,room\nd9,no_service_admin,Ann,\n", 2, "device", "No service"),
        ("device,kind,user,room\n,no_service_admin,Ann,\nd1,desk_phone,Ann,\n", 3, "user", "No service"),
    ],
)
def test_bad_devices_name_line_and_field(text, line, field, match):
    with pytest.raises(InputError, match=match) as err:
        count_users(parse_devices(text, "x.csv"), "x.csv")
    assert (err.value.file, err.value.line, err.value.field) == ("x.csv", line, field)


def test_missing_column_is_an_input_error():
    with pytest.raises(InputError, match="missing column"):
        parse_devices("device,kind,user\nd1,desk_phone,Ann\n")


def test_reduction_is_at_most_ten_percent_per_quarter():
    assert min_users_after_quarter(100) == 90
    assert min_users_after_quarter(25) == 23  # floor(2.5) = 2 users may go
    assert min_users_after_quarter(9) == 9  # under 10 users nothing may go, by the letter
    assert reduction_schedule(100, 80) == [90, 81, 80]
    assert reduction_schedule(50, 60) == []


def test_reduction_that_can_never_happen_is_an_input_error():
    with pytest.raises(InputError, match="cannot be reduced"):
        reduction_schedule(9, 5)
