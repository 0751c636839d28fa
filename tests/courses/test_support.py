"""Help requests: what she can ask for, how requests move, who sees them."""

from __future__ import annotations

import pytest

from courses import support as rules


def test_needs_keep_the_form_order_and_refuse_unknown_values() -> None:
    assert rules.clean_needs(["violence", "childcare", "violence"]) == ("childcare", "violence")
    with pytest.raises(ValueError, match="unknown"):
        rules.clean_needs(["childcare", "weapons"])


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("+56 9 1234 5678", "+56 9 1234 5678"),
        ("  9 8765-4321 ", "9 8765-4321"),
        ("(2) 2345 6789", "(2) 2345 6789"),
        ("", None),
        ("1234", None),  # too short to call
        ("call me at 9 1234 5678", None),  # words are not a number
        ("+56 9 1234 5678 9999 99", None),  # too long
        ("56+9 1234 5678", None),  # + only in front
    ],
)
def test_a_phone_number_is_kept_only_if_it_looks_like_one(raw: str, kept: str | None) -> None:
    assert rules.clean_phone(raw) == kept


def test_the_team_moves_a_request_to_closure_and_back() -> None:
    assert rules.team_can_move("open", "in-progress")
    assert rules.team_can_move("in-progress", "closed")
    assert rules.team_can_move("closed", "in-progress")
    assert not rules.team_can_move("closed", "closed")
    assert not rules.team_can_move("open", "archived")


def test_she_may_only_close_or_reopen_her_request() -> None:
    assert rules.participant_can_move("open", "closed")
    assert rules.participant_can_move("in-progress", "closed")
    assert rules.participant_can_move("closed", "open")
    assert not rules.participant_can_move("open", "in-progress")
    assert not rules.participant_can_move("closed", "in-progress")


@pytest.mark.parametrize(
    ("request_region", "grants", "sees"),
    [
        ("biobio", {None}, True),  # a whole-programme lead sees every region
        (None, {None}, True),
        ("biobio", {"biobio"}, True),
        ("biobio", {"valparaiso"}, False),
        (None, {"biobio"}, False),  # no region given: only whole-programme leads
        ("biobio", {"valparaiso", "biobio"}, True),
        ("biobio", set(), False),
    ],
)
def test_which_support_leads_see_a_request(
    request_region: str | None, grants: set[str | None], sees: bool
) -> None:
    assert rules.lead_sees(request_region, grants) is sees
