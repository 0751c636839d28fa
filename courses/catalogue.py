"""Turn a compiled content document (courses/authoring/tree.py) into an immutable Catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from courses.model import (
    Activity,
    Adjustment,
    Catalogue,
    Course,
    Invitation,
    Level,
    Media,
    MentorEligibility,
    Module,
    Option,
    Pathway,
    PlacementQuestion,
    PlacementRule,
    PlacementRules,
    Question,
    School,
    Text,
    WorksheetField,
)
from courses.programme_data import build_mentoring, build_referrals, build_surveys


def _text_or_none(data: Mapping[str, str] | None) -> Text | None:
    return Text.of(data) if data else None


def _activity(data: Mapping[str, Any]) -> Activity:
    media = data.get("media")
    return Activity(
        id=data["id"],
        kind=data["kind"],
        title=Text.of(data["title"]),
        minutes=data["minutes"],
        completion=data["completion"],
        graded=data["graded"],
        optional=data["optional"],
        required=data.get("required", False),
        body_html=Text.of(data["body_html"]),
        course_id=data["course_id"],
        module_id=data["module_id"],
        fingerprint=data["fingerprint"],
        designer_notes=Text.of(data.get("designer_notes")),
        sources=tuple(data.get("sources", ())),
        pass_mark=data.get("pass_mark"),
        questions=tuple(
            Question(
                id=q["id"],
                text=Text.of(q["text"]),
                options=tuple(
                    Option(o["id"], Text.of(o["text"]), o["correct"], Text.of(o["feedback"]))
                    for o in q["options"]
                ),
            )
            for q in data.get("questions", ())
        ),
        prompt=_text_or_none(data.get("prompt")),
        fields=tuple(
            WorksheetField(
                f["id"], Text.of(f["label"]), Text.of(f["help"]), f["type"], f["required"]
            )
            for f in data.get("fields", ())
        ),
        media=Media(
            type=media["type"],
            src=Text.of(media["src"]),
            duration_seconds=media["duration_seconds"],
            low_bandwidth_type=media["low_bandwidth_type"],
            low_bandwidth_src=_text_or_none(media.get("low_bandwidth_src")),
        )
        if media
        else None,
        duration_minutes=data.get("duration_minutes"),
        facilitator_notes=_text_or_none(data.get("facilitator_notes")),
    )


def _course(data: Mapping[str, Any]) -> Course:
    return Course(
        id=data["id"],
        title=Text.of(data["title"]),
        summary=Text.of(data["summary"]),
        prerequisites=tuple(data["prerequisites"]),
        phase=data.get("phase"),
        modules=tuple(
            Module(m["id"], Text.of(m["title"]), tuple(m["activities"]), m.get("week"))
            for m in data["modules"]
        ),
        score_maximum=float(data["grading"]["score_maximum"]),
    )


def _pathway(data: Mapping[str, Any]) -> Pathway:
    return Pathway(
        id=data["id"],
        title=Text.of(data["title"]),
        description=Text.of(data["description"]),
        ordered=data["ordered"],
        levels=tuple(
            Level(
                level_id,
                Text.of(level["title"]),
                Text.of(level["description"]),
                tuple(level["courses"]),
            )
            for level_id, level in data["levels"].items()
        ),
    )


def _school(data: Mapping[str, Any]) -> School:
    eligibility = data.get("mentor_eligibility")
    invitation = data.get("invitation")
    return School(
        id=data["id"],
        title=Text.of(data["title"]),
        description=Text.of(data["description"]),
        audience=data["audience"],
        course_ids=tuple(data["courses"]),
        weeks=data.get("weeks"),
        mentor_eligibility=MentorEligibility(
            tuple(eligibility["courses"]), eligibility["volunteer_hours"]
        )
        if eligibility
        else None,
        invitation=Invitation(invitation["requires"]) if invitation else None,
    )


def _when(data: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in data.items()})


def _placement(data: Mapping[str, Any]) -> PlacementRules:
    fallback = data["fallback"]
    return PlacementRules(
        questions=tuple(
            PlacementQuestion(
                id=q["id"],
                text=Text.of(q["text"]),
                help=_text_or_none(q.get("help")),
                choice=q["choice"],
                options=tuple((o["id"], Text.of(o["text"])) for o in q["options"]),
                required=bool(q.get("required", False)),
            )
            for q in data["questions"]
        ),
        rules=tuple(
            PlacementRule(
                r["id"],
                _when(r["when"]),
                r["place"]["pathway"],
                r["place"]["level"],
                Text.of(r["reason"]),
            )
            for r in data["rules"]
        ),
        adjustments=tuple(
            Adjustment(
                a["id"], _when(a["when"]), tuple(a["add"]), tuple(a["skip"]), Text.of(a["reason"])
            )
            for a in data["adjustments"]
        ),
        fallback=PlacementRule(
            "fallback",
            MappingProxyType({}),
            fallback["place"]["pathway"],
            fallback["place"]["level"],
            Text.of(fallback["reason"]),
        ),
    )


def build_catalogue(document: Mapping[str, Any]) -> Catalogue:
    """The Catalogue of a compiled, error-free content document."""
    programme = document["programme"]
    return Catalogue(
        title=Text.of(programme["title"]),
        description=Text.of(programme["description"]),
        pathway_ids=tuple(programme["pathways"]),
        pathways=MappingProxyType({k: _pathway(v) for k, v in document["pathways"].items()}),
        courses=MappingProxyType({k: _course(v) for k, v in document["courses"].items()}),
        activities=MappingProxyType({k: _activity(v) for k, v in document["activities"].items()}),
        placement=_placement(document["placement"]),
        referrals=build_referrals(document.get("referrals")),
        mentoring=build_mentoring(document.get("mentoring")),
        surveys=build_surveys(document.get("surveys")),
        # .get: content versions stored before schools existed have neither key.
        schools=MappingProxyType({k: _school(v) for k, v in document.get("schools", {}).items()}),
        school_ids=tuple(programme.get("schools", ())),
    )
