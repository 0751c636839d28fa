"""Programme data that designers keep as content: the referral directory, the mentoring topics
and the follow-up surveys. Frozen dataclasses built from a compiled content document
(courses/authoring/programme_data.py checks the files); the Catalogue carries them.

They are data, not code, so that the programme team can correct a phone number or add a survey
question with a reviewed commit, without a release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from courses.text import Text

NATIONAL = "national"
REFERRAL_KINDS = (
    "violence",
    "emergency",
    "police",
    "health",
    "housing",
    "childcare",
    "money",
    "legal",
    "municipal",
    "migration",
    "other",
)
# Who may sign up for mentoring sessions: only graduates (the programme's rule), or anyone.
SIGN_UP_RULES = ("pathway-complete", "anyone")
QUESTION_KINDS = ("single", "text")
# What each single-choice follow-up question measures, so reports can aggregate across surveys.
OUTCOMES = ("income", "network", "studying", "business", "formal-job")


@dataclass(frozen=True)
class Referral:
    """One service a participant can be referred to, with the public page that backs it."""

    id: str
    region: str  # a region slug (courses.geography) or "national"
    kind: str  # one of REFERRAL_KINDS
    name: Text
    description: Text  # one plain sentence on when to call
    source: str  # https URL of the public page the entry was checked against
    checked_on: date
    phone: str | None = None
    hours: Text | None = None
    address: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class MentoringTopic:
    id: str
    title: Text
    description: Text


@dataclass(frozen=True)
class Mentoring:
    topics: tuple[MentoringTopic, ...]
    sign_up_requires: str  # one of SIGN_UP_RULES

    def topic(self, topic_id: str) -> MentoringTopic | None:
        return next((t for t in self.topics if t.id == topic_id), None)


@dataclass(frozen=True)
class SurveyQuestion:
    id: str
    kind: str  # single | text
    text: Text
    required: bool
    outcome: str | None  # single-choice questions: one of OUTCOMES
    options: tuple[tuple[str, Text], ...] = ()
    help: Text | None = None


@dataclass(frozen=True)
class Survey:
    id: str
    months_after_completion: int
    title: Text
    intro: Text
    questions: tuple[SurveyQuestion, ...]

    def question_for(self, outcome: str) -> SurveyQuestion | None:
        """The question that measures `outcome`, so reports can line up 3- and 6-month answers."""
        return next((q for q in self.questions if q.outcome == outcome), None)


def referrals_for(referrals: Sequence[Referral], region: str | None) -> tuple[Referral, ...]:
    """What a participant of `region` sees: her region's services first, then national ones."""
    local = tuple(r for r in referrals if region and r.region == region)
    return local + tuple(r for r in referrals if r.region == NATIONAL)


def _text_or_none(data: Mapping[str, str] | None) -> Text | None:
    return Text.of(data) if data else None


def build_referrals(data: Sequence[Mapping[str, Any]] | None) -> tuple[Referral, ...]:
    return tuple(
        Referral(
            id=r["id"],
            region=r["region"],
            kind=r["kind"],
            name=Text.of(r["name"]),
            description=Text.of(r["description"]),
            source=r["source"],
            checked_on=date.fromisoformat(r["checked_on"]),
            phone=r.get("phone"),
            hours=_text_or_none(r.get("hours")),
            address=r.get("address"),
            url=r.get("url"),
        )
        for r in data or ()
    )


def build_mentoring(data: Mapping[str, Any] | None) -> Mentoring | None:
    if not data:
        return None
    return Mentoring(
        topics=tuple(
            MentoringTopic(t["id"], Text.of(t["title"]), Text.of(t["description"]))
            for t in data["topics"]
        ),
        sign_up_requires=data["sign_up"]["requires"],
    )


def build_surveys(data: Sequence[Mapping[str, Any]] | None) -> tuple[Survey, ...]:
    return tuple(
        Survey(
            id=s["id"],
            months_after_completion=s["months_after_completion"],
            title=Text.of(s["title"]),
            intro=Text.of(s["intro"]),
            questions=tuple(
                SurveyQuestion(
                    id=q["id"],
                    kind=q["kind"],
                    text=Text.of(q["text"]),
                    required=q["required"],
                    outcome=q.get("outcome"),
                    options=tuple((o["id"], Text.of(o["text"])) for o in q.get("options", ())),
                    help=_text_or_none(q.get("help")),
                )
                for q in s["questions"]
            ),
        )
        for s in data or ()
    )
