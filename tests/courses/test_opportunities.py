"""The opportunities board: open until the closing day, hers first."""

from __future__ import annotations

from datetime import date, timedelta

from courses.opportunities import NOT_FOR_HER, Facts, board, is_open, rank

TODAY = date(2026, 11, 26)


def test_an_opportunity_is_open_through_its_closing_day() -> None:
    assert is_open(TODAY, TODAY)
    assert is_open(TODAY + timedelta(days=1), TODAY)
    assert not is_open(TODAY - timedelta(days=1), TODAY)


def test_rank_prefers_what_is_made_for_her_pathway_and_region() -> None:
    assert rank(Facts("biobio", "employment", TODAY), "employment", "biobio") == 0
    assert rank(Facts(None, "employment", TODAY), "employment", "biobio") == 1
    assert rank(Facts("biobio", None, TODAY), "employment", "biobio") == 1
    assert rank(Facts(None, None, TODAY), "employment", "biobio") == 2
    assert rank(Facts("valparaiso", None, TODAY), "employment", "biobio") == NOT_FOR_HER
    assert rank(Facts(None, "entrepreneurship", TODAY), "employment", "biobio") == NOT_FOR_HER
    # Without a region, regional offers are for the others.
    assert rank(Facts("biobio", None, TODAY), "employment", None) == NOT_FOR_HER


def test_the_board_shows_hers_first_closing_soonest_first_and_hides_closed_ones() -> None:
    later, soon = TODAY + timedelta(days=30), TODAY + timedelta(days=2)
    items = [
        ("national-later", Facts(None, None, later)),
        ("other-region", Facts("valparaiso", None, soon)),
        ("closed", Facts("biobio", "employment", TODAY - timedelta(days=1))),
        ("exact-later", Facts("biobio", "employment", later)),
        ("national-soon", Facts(None, None, soon)),
        ("pathway-soon", Facts(None, "employment", soon)),
        ("other-pathway", Facts(None, "entrepreneurship", later)),
        ("today", Facts(None, None, TODAY)),
    ]
    mine, others = board(items, "employment", "biobio", TODAY)
    assert mine == ["exact-later", "pathway-soon", "today", "national-soon", "national-later"]
    assert others == ["other-region", "other-pathway"]
    assert "closed" not in mine + others


def test_without_a_plan_or_region_only_national_offers_for_both_pathways_are_hers() -> None:
    items = [("any", Facts(None, None, TODAY)), ("jobs", Facts(None, "employment", TODAY))]
    assert board(items, None, None, TODAY) == (["any"], ["jobs"])
