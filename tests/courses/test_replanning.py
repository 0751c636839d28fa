"""Her plan never changes silently (Senda issue #13, item 3), the pure rules: placement uses every
answer, a change of pathway or level keeps what staff added, and the real curriculum never sends
a business owner who is not formal yet past the basics of formalising."""

from __future__ import annotations

from pathlib import Path

import pytest

from courses import progression
from courses.authoring.errors import blocking
from courses.authoring.tree import compile_tree
from courses.catalogue import build_catalogue
from courses.model import Catalogue
from courses.placement import link_may_add, place, related_courses, replan

TEST_CONTENT = Path(__file__).parent.parent / "data" / "content"
REAL_CONTENT = Path(__file__).parent.parent.parent / "content"


def build(root: Path) -> Catalogue:
    document, errors = compile_tree(root)
    assert not blocking(errors)
    return build_catalogue(document)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return build(TEST_CONTENT)


@pytest.fixture(scope="module")
def real() -> Catalogue:
    return build(REAL_CONTENT)


def test_a_change_of_pathway_keeps_the_courses_staff_added(catalogue: Catalogue) -> None:
    answers = {"goal": ["own-business"]}
    # Entrepreneurship basic, plus a course her facilitator added (the advanced level's).
    current = ["ls", "ent-idea", "ent-online", "ent-plan"]
    change = replan(answers, catalogue, "entrepreneurship", "basic", current, "employment")
    assert change.placement.pathway_id == "employment"
    assert change.course_ids == ("ls", "emp-diag", "emp-work", "ent-plan")
    assert change.kept == ("ent-plan",)
    assert change.added == ("emp-diag", "emp-work")
    assert change.removed == ("ent-idea", "ent-online")
    # Her level too, not only her pathway.
    level = replan(
        answers, catalogue, "entrepreneurship", "basic", current, "entrepreneurship", "advanced"
    )
    assert (level.placement.level, level.course_ids) == ("advanced", ("ls", "ent-plan"))
    assert level.removed == ("ent-idea", "ent-online") and level.kept == ()
    # The same pathway and level: nothing changes.
    same = replan(
        answers, catalogue, "entrepreneurship", "basic", current, "entrepreneurship", "basic"
    )
    assert not same.changes_anything and same.course_ids == tuple(current)


def test_placement_uses_what_she_wants_to_learn(catalogue: Catalogue) -> None:
    without = place({"goal": ["job"], "formal-work": ["yes"]}, catalogue)
    with_learn = place(
        {"goal": ["job"], "formal-work": ["yes"], "learn": ["sell-online"]}, catalogue
    )
    assert "ent-online" not in without.course_ids
    assert with_learn.course_ids[-1] == "ent-online" and len(with_learn.reasons) == 2


def test_a_link_may_add_only_a_course_of_her_pathway(catalogue: Catalogue) -> None:
    assert "ent-plan" in related_courses(catalogue, "entrepreneurship")
    assert "emp-diag" not in related_courses(catalogue, "entrepreneurship")
    assert link_may_add(catalogue, "entrepreneurship", "ent-plan")
    assert not link_may_add(catalogue, "entrepreneurship", "emp-diag")
    assert link_may_add(catalogue, "entrepreneurship", "ts-lead")  # of no pathway


def test_an_informal_business_gets_the_basics_of_formalising_first(real: Catalogue) -> None:
    informal = {"goal": ["own-business"], "has-business": ["yes"], "business-formal": ["no"]}
    placement = place(informal, real)
    assert (placement.pathway_id, placement.level) == ("entrepreneurship", "advanced")
    ids = placement.course_ids
    assert ids.index("ent-formalisation") < ids.index("ent-formal-business")
    # And the advanced formal-business course stays locked until the basics are done.
    plan = progression.plan(real, placement.pathway_id, ids, {})
    formal = next(c for c in plan if c.course.id == "ent-formal-business")
    assert "ent-formalisation" in formal.locked_by
    # A business that is already formal skips the basics.
    formal_owner = place({**informal, "business-formal": ["yes"]}, real)
    assert "ent-formalisation" not in formal_owner.course_ids


def test_every_intake_answer_counts_in_the_real_curriculum(real: Catalogue) -> None:
    unsure = {"goal": ["unsure"], "has-business": ["no"]}
    assert place(unsure, real).rule_id == "fallback"
    assert place({**unsure, "learn": ["sell-online"]}, real).pathway_id == "entrepreneurship"
    assert place({**unsure, "learn": ["cv-interview"]}, real).pathway_id == "employment"
    business = {"goal": ["own-business"], "has-business": ["no"], "learn": ["cv-interview"]}
    assert "emp-enablement" in place(business, real).course_ids
    job = {"goal": ["job"], "learn": ["sell-online"]}
    assert "ent-selling-online" in place(job, real).course_ids
