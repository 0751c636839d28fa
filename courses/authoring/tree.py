"""Read the whole content folder, check every rule, and compile it into one JSON-able document.

`compile_tree(root)` returns (document, errors). The document is what an import stores as an
immutable content version; `courses.catalogue.build_catalogue` turns it into a `Catalogue`. The
errors are every problem found (not just the first), each with file and line. Some are warnings
(`severity="warning"`): facts checked long ago, a review date passed, minutes far from the length
of the text. They are printed for the designer but do not stop an import.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema

from courses.authoring import yamlines
from courses.authoring.errors import N_, ContentError, Message, Problems
from courses.authoring.programme_data import compile_programme_data
from courses.authoring.reading import load_checked
from courses.authoring.render import render_markdown, scan_body
from courses.authoring.schema import (
    ActivitySchema,
    CourseSchema,
    PathwaySchema,
    PlacementSchema,
    ProgrammeSchema,
    SchoolSchema,
)
from courses.model import DEFAULT_COMPLETION, LOCALES

VIDEO_HOSTS = ("https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/")
# Fields of an activity that are translated; everything else must match across languages.
TEXT_KEYS = {
    "title",
    "designer_notes",
    "prompt",
    "text",
    "feedback",
    "label",
    "help",
    "facilitator_notes",
    "src",
}
# Facts checked more than this many months ago are flagged for a new check.
STALE_AFTER_MONTHS = 12
# Reading speed assumed for the participants (low literacy, small phone screens).
WORDS_PER_MINUTE = 100


# ------------------------------------------------------------------------------ activities
@dataclass
class _ActivityFile:
    path: Path
    raw: Any
    data: dict[str, Any]
    body: str
    body_line: int  # file line of the body's first line


def _split_front_matter(c: Problems, path: Path) -> tuple[str, str, int] | None:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        c.add(path, 1, N_("an activity starts with front matter between two '---' lines"))
        return None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            front = "\n".join(lines[1 : number - 1])
            body = "\n".join(lines[number:])
            return front, body, number + 1
    c.add(path, 1, N_("the front matter is not closed with '---'"))
    return None


def _read_activity(c: Problems, path: Path, broken: set[str]) -> _ActivityFile | None:
    """The activity file, or None: its problems reported, and its id noted in `broken` so that
    the course does not report it a second time as unknown."""
    file_id = path.stem.split("-", 1)[-1]  # the usual NN-<id>.md name, until the id is known
    parts = _split_front_matter(c, path)
    if parts is None:
        broken.add(file_id)
        return None
    raw, data = load_checked(c, path, parts[0], ActivitySchema(), first_line=2)
    if data is None:
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            file_id = raw["id"]
        broken.add(file_id)
        return None
    if "fields_" in data:
        data["fields"] = data.pop("fields_")
    return _ActivityFile(path, raw, data, parts[1], parts[2])


def _structure(value: Any, key: str = "") -> Any:
    """The activity with its translated texts blanked: what must match across languages."""
    if isinstance(value, dict):
        return {k: _structure(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_structure(v, key) for v in value]
    return "…" if key in TEXT_KEYS and isinstance(value, str) else value


def _first_difference(
    a: Any, b: Any, path: tuple[str | int, ...] = ()
) -> tuple[str | int, ...] | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return (*path, key)
            found = _first_difference(a[key], b[key], (*path, key))
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return path
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, (*path, index))
            if found is not None:
                return found
        return None
    return None if a == b else path


def _check_body(c: Problems, root: Path, activity: _ActivityFile) -> None:
    problems, references = scan_body(activity.body)
    for problem in problems:
        c.add_message(activity.path, activity.body_line + problem.line - 1, problem.message)
    for ref in references:
        line = activity.body_line + ref.line - 1
        scheme = urlsplit(ref.url).scheme.lower()
        if ref.kind == "image" and not ref.alt.strip():
            c.add(activity.path, line, N_("image '{url}' needs alt text"), url=ref.url)
        if scheme in ("http", "https", "mailto", "tel"):
            if ref.kind == "image" and scheme != "https":
                c.add(
                    activity.path,
                    line,
                    N_("image '{url}' must be https or a file in content/"),
                    url=ref.url,
                )
            continue
        if scheme or ref.url.startswith("//"):
            c.add(
                activity.path,
                line,
                N_("unsafe link '{url}': only http(s), mailto and tel"),
                url=ref.url[:60],
            )
            continue
        if ref.url.startswith("#"):
            continue
        _check_local_file(c, root, activity.path, line, ref.url, _BROKEN[ref.kind])


_BROKEN = {"link": Message(N_("broken link")), "image": Message(N_("broken image"))}


def _check_local_file(
    c: Problems, root: Path, path: Path, line: int, url: str, what: Message
) -> None:
    target = (path.parent / PurePosixPath(url.split("#")[0]).as_posix()).resolve()
    if not target.is_relative_to(root.resolve()):
        c.add(
            path, line, N_("{what} '{url}': the path leaves the content folder"), what=what, url=url
        )
    elif not target.is_file():
        c.add(path, line, N_("{what} '{url}': no such file"), what=what, url=url)


def _media_url(c: Problems, root: Path, activity: _ActivityFile, src: str, key: str) -> str:
    """Validate a media source; return the URL the app serves it at."""
    line = yamlines.line_of(activity.raw, (key, "src"))
    if src.startswith("https://"):
        if activity.data.get("media", {}).get("type") == "video" and not src.startswith(
            VIDEO_HOSTS
        ):
            c.add(
                activity.path,
                line,
                N_("videos are embedded only from youtube-nocookie.com or vimeo"),
            )
        return src
    if urlsplit(src).scheme:
        c.add(activity.path, line, N_("unsafe media source '{src}'"), src=src[:60])
        return ""
    _check_local_file(c, root, activity.path, line, src, Message(N_("missing media file")))
    target = (activity.path.parent / src).resolve()
    try:
        return "media/" + target.relative_to((root / "media").resolve()).as_posix()
    except ValueError:
        c.add(activity.path, line, N_("media files live in content/media/"))
        return ""


def _compile_activity(
    c: Problems, root: Path, versions: dict[str, _ActivityFile], course_id: str, module_id: str
) -> dict[str, Any]:
    es, en = versions["es"].data, versions["en"].data

    def text(getter: Any) -> dict[str, str]:
        return {locale: getter(versions[locale].data) or "" for locale in LOCALES}

    kind = es["kind"]
    compiled: dict[str, Any] = {
        "id": es["id"],
        "kind": kind,
        "title": text(lambda d: d["title"]),
        "minutes": es["minutes"],
        "completion": es.get("completion") or DEFAULT_COMPLETION[kind],
        "graded": es["graded"],
        "optional": es["optional"],
        "designer_notes": text(lambda d: d.get("designer_notes")),
        "sources": list(es["sources"]),
        "body_html": {loc: render_markdown(versions[loc].body) for loc in LOCALES},
        "course_id": course_id,
        "module_id": module_id,
    }
    if es.get("required"):
        # Only when set, so that no other activity's fingerprint changes.
        compiled["required"] = True
    if kind == "quiz":
        compiled["pass_mark"] = es["pass_mark"]
        compiled["questions"] = [
            {
                "id": q["id"],
                "text": {"es": q["text"], "en": en["questions"][qi]["text"]},
                "options": [
                    {
                        "id": o["id"],
                        "correct": o["correct"],
                        "text": {"es": o["text"], "en": en["questions"][qi]["options"][oi]["text"]},
                        "feedback": {
                            "es": o["feedback"],
                            "en": en["questions"][qi]["options"][oi]["feedback"],
                        },
                    }
                    for oi, o in enumerate(q["options"])
                ],
            }
            for qi, q in enumerate(es["questions"])
        ]
    elif kind == "reflection":
        compiled["prompt"] = text(lambda d: d["prompt"])
    elif kind == "worksheet":
        compiled["fields"] = [
            {
                "id": f["id"],
                "type": f["type"],
                "required": f["required"],
                "label": {"es": f["label"], "en": en["fields"][fi]["label"]},
                "help": {"es": f["help"], "en": en["fields"][fi]["help"]},
            }
            for fi, f in enumerate(es["fields"])
        ]
    elif kind == "workshop":
        compiled["duration_minutes"] = es["duration_minutes"]
        compiled["facilitator_notes"] = text(lambda d: d.get("facilitator_notes"))
    elif kind == "media":
        compiled["media"] = {
            "type": es["media"]["type"],
            "duration_seconds": es["media"]["duration_seconds"],
            "src": {
                loc: _media_url(c, root, versions[loc], versions[loc].data["media"]["src"], "media")
                for loc in LOCALES
            },
            "low_bandwidth_type": es["low_bandwidth"]["type"],
            "low_bandwidth_src": (
                {
                    loc: _media_url(
                        c,
                        root,
                        versions[loc],
                        versions[loc].data["low_bandwidth"]["src"],
                        "low_bandwidth",
                    )
                    for loc in LOCALES
                }
                if es["low_bandwidth"]["type"] == "audio"
                else None
            ),
        }
    compiled["fingerprint"] = hashlib.sha256(
        json.dumps(compiled, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]
    return compiled


def _months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the 31st becomes the last day of a shorter month)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month + 1, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def review_problems(
    data: Mapping[str, Any], today: date | None = None
) -> list[tuple[str, str, Message]]:
    """What is wrong or out of date with an activity's `checked_on` and `review_by`, as
    (field, severity, message). Facts that cite sources must say when they were checked, so a
    designer knows which lessons to look at again when a law or a rate changes. `today` is a
    parameter so that tests can pin the calendar."""
    today = today or date.today()  # noqa: DTZ011 - the designer's own calendar day
    problems: list[tuple[str, str, Message]] = []
    checked_on, review_by = data.get("checked_on"), data.get("review_by")
    if data.get("sources") and checked_on is None:
        problems.append(
            (
                "sources",
                "error",
                Message(
                    N_(
                        "'checked_on' is required when there are 'sources': "
                        "the day the facts were last checked (YYYY-MM-DD)"
                    )
                ),
            )
        )
    if checked_on is not None:
        if checked_on > today:
            problems.append(
                (
                    "checked_on",
                    "warning",
                    Message.of(N_("checked_on {day} is in the future"), day=checked_on),
                )
            )
        elif checked_on < _months_before(today, STALE_AFTER_MONTHS):
            problems.append(
                (
                    "checked_on",
                    "warning",
                    Message.of(
                        N_(
                            "facts last checked on {day}, more than {months} "
                            "months ago: check them against the sources again"
                        ),
                        day=checked_on,
                        months=STALE_AFTER_MONTHS,
                    ),
                )
            )
    if review_by is not None and review_by < today:
        problems.append(
            (
                "review_by",
                "warning",
                Message.of(
                    N_(
                        "review_by {day} has passed: check the time-bound figures "
                        "(wages, hours, rates) and set a new date"
                    ),
                    day=review_by,
                ),
            )
        )
    return problems


_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_WORD = re.compile(r"\w")


def count_words(markdown: str) -> int:
    """Words a participant reads: link and image targets, table rules and markup do not count."""
    text = _LINK_TARGET.sub("]", markdown)
    return sum(1 for token in text.split() if _WORD.search(token))


def estimated_minutes(markdown: str, media_seconds: int = 0) -> float:
    """Reading time at WORDS_PER_MINUTE plus the duration of any media."""
    return count_words(markdown) / WORDS_PER_MINUTE + media_seconds / 60


def _check_minutes(c: Problems, activity: _ActivityFile) -> None:
    """Warn when a lesson's (or a recording's) `minutes` is less than half or more than double
    its reading time plus the recording: participants plan their day around it."""
    data = activity.data
    if data["kind"] not in ("lesson", "media"):
        return
    seconds = data["media"]["duration_seconds"] if data["kind"] == "media" else 0
    estimate = estimated_minutes(activity.body, seconds)
    minutes = data["minutes"]
    if minutes < estimate / 2 or minutes > 2 * max(estimate, 1.0):
        c.add(
            activity.path,
            yamlines.line_of(activity.raw, ("minutes",)),
            N_(
                "minutes: {minutes} is far from the reading time of the text ({estimate} "
                "min at {speed} words a minute): between {low} and {high} is expected"
            ),
            "warning",
            minutes=minutes,
            estimate=f"{estimate:.1f}",
            speed=WORDS_PER_MINUTE,
            low=f"{estimate / 2:.1f}",
            high=f"{2 * max(estimate, 1.0):.1f}",
        )


def _check_activity_rules(
    c: Problems, files: dict[str, _ActivityFile], today: date | None = None
) -> None:
    es = files["es"]
    for field_name, severity, message in review_problems(es.data, today):
        c.add_message(es.path, yamlines.line_of(es.raw, (field_name,)), message, severity)
    for locale, activity in files.items():
        data = activity.data
        _check_minutes(c, activity)
        if data["kind"] in ("lesson", "media", "workshop") and not activity.body.strip():
            c.add(
                activity.path,
                activity.body_line,
                N_("a {kind} needs its transcript after the front matter")
                if data["kind"] == "media"
                else N_("a {kind} needs its text after the front matter"),
                kind=data["kind"],
            )
        if data["kind"] == "lesson" and not data["sources"] and locale == "es":
            c.add(
                activity.path,
                yamlines.line_of(activity.raw, ("id",)),
                N_("a lesson needs 'sources' (public URLs)"),
            )
        for key in ("questions",):
            ids = [q["id"] for q in data.get(key, [])]
            if len(ids) != len(set(ids)):
                c.add(
                    activity.path,
                    yamlines.line_of(activity.raw, (key,)),
                    N_("question ids must be unique"),
                )
        for qi, question in enumerate(data.get("questions", [])):
            ids = [o["id"] for o in question["options"]]
            if len(ids) != len(set(ids)):
                line = yamlines.line_of(activity.raw, ("questions", qi, "options"))
                c.add(
                    activity.path,
                    line,
                    N_("option ids of question '{question}' must be unique"),
                    question=question["id"],
                )
        ids = [f["id"] for f in data.get("fields", [])]
        if len(ids) != len(set(ids)):
            c.add(
                activity.path,
                yamlines.line_of(activity.raw, ("fields",)),
                N_("field ids must be unique"),
            )
    en = files["en"]
    mismatch = _first_difference(_structure(es.data), _structure(en.data))
    if mismatch is not None:
        name = ".".join(str(p) for p in mismatch) if mismatch else Message(N_("front matter"))
        c.add(
            en.path,
            yamlines.line_of(en.raw, mismatch),
            N_("'{name}' differs from the Spanish file {file}: only texts may differ"),
            name=name,
            file=es.path.name,
        )


# --------------------------------------------------------------------------------- tree
def compile_tree(
    root: Path, today: date | None = None
) -> tuple[dict[str, Any], list[ContentError]]:
    """Read and check everything under `root`; return the compiled document and all errors
    (warnings included). `today` (default: the real date) dates the review warnings."""
    root = root.resolve()
    c = Problems(root)
    document: dict[str, Any] = {
        "programme": None,
        "pathways": {},
        "schools": {},
        "courses": {},
        "activities": {},
    }

    def read(path: Path, schema: Schema) -> tuple[Any, dict[str, Any] | None]:
        if not path.is_file():
            c.add(path.relative_to(root).as_posix(), 0, N_("file is missing"))
            return None, None
        return load_checked(c, path, path.read_text(encoding="utf-8"), schema)

    programme_raw, programme = read(root / "programme.yaml", ProgrammeSchema())
    document["programme"] = programme
    placement_raw, placement = read(root / "placement.yaml", PlacementSchema())
    document["placement"] = placement

    pathway_raws: dict[str, tuple[Path, Any]] = {}
    school_raws: dict[str, tuple[Path, Any]] = {}
    broken_schools: set[str] = set()  # file names of invalid schools, already reported
    for folder, schema, section, raws in (
        ("pathways", PathwaySchema(), "pathways", pathway_raws),
        ("schools", SchoolSchema(), "schools", school_raws),
    ):
        for path in sorted((root / folder).glob("*.yaml")):
            raw, entry = read(path, schema)
            if entry is None:
                if folder == "schools":
                    broken_schools.add(path.stem)
                continue
            if entry["id"] != path.stem:
                c.add(
                    path,
                    yamlines.line_of(raw, ("id",)),
                    N_("id '{id}' must match the file name"),
                    id=entry["id"],
                )
            document[section][entry["id"]] = entry
            raws[entry["id"]] = (path, raw)

    activity_origin: dict[str, Path] = {}
    course_raws: dict[str, tuple[Path, Any]] = {}
    for course_dir in (
        sorted(p for p in (root / "courses").iterdir() if p.is_dir())
        if (root / "courses").is_dir()
        else []
    ):
        raw, course = read(course_dir / "course.yaml", CourseSchema())
        files: dict[str, dict[str, _ActivityFile]] = {}
        broken: set[str] = set()  # ids of activity files already reported as invalid
        for locale in LOCALES:
            for path in sorted((course_dir / locale).glob("*.md")):
                activity = _read_activity(c, path, broken)
                if activity is not None:
                    files.setdefault(path.name, {})[locale] = activity
        for locale in LOCALES:
            other = "en" if locale == "es" else "es"
            for path in sorted((course_dir / other).glob("*.md")):
                if not (course_dir / locale / path.name).is_file():
                    c.add(
                        path,
                        0,
                        N_("missing translation: {file} does not exist"),
                        file=f"{locale}/{path.name}",
                    )
        by_id: dict[str, dict[str, _ActivityFile]] = {}
        for name, versions in files.items():
            if set(versions) != set(LOCALES):
                continue
            if versions["es"].data["id"] != versions["en"].data["id"]:
                en = versions["en"]
                c.add(
                    en.path,
                    yamlines.line_of(en.raw, ("id",)),
                    N_("id differs from {file}"),
                    file=f"es/{name}",
                )
                continue
            _check_activity_rules(c, versions, today)
            for activity in versions.values():
                _check_body(c, root, activity)
            activity_id = versions["es"].data["id"]
            if activity_id in activity_origin:
                es = versions["es"]
                first = activity_origin[activity_id].relative_to(root).as_posix()
                c.add(
                    es.path,
                    yamlines.line_of(es.raw, ("id",)),
                    N_("duplicate activity id '{activity}' (also in {file})"),
                    activity=activity_id,
                    file=first,
                )
                continue
            activity_origin[activity_id] = versions["es"].path
            by_id[activity_id] = versions
        if course is None:
            continue
        course_path = course_dir / "course.yaml"
        if course["id"] != course_dir.name:
            c.add(
                course_path,
                yamlines.line_of(raw, ("id",)),
                N_("id '{id}' must match the folder name"),
                id=course["id"],
            )
        if course["id"] in document["courses"]:
            c.add(
                course_path,
                yamlines.line_of(raw, ("id",)),
                N_("duplicate course id '{course}'"),
                course=course["id"],
            )
            continue
        listed: set[str] = set()
        for mi, module in enumerate(course["modules"]):
            for ai, activity_id in enumerate(module["activities"]):
                line = yamlines.line_of(raw, ("modules", mi, "activities", ai))
                if activity_id in listed:
                    c.add(
                        course_path,
                        line,
                        N_("activity '{activity}' is listed twice"),
                        activity=activity_id,
                    )
                elif activity_id not in by_id:
                    if activity_id not in broken:  # an invalid file was reported already
                        c.add(
                            course_path,
                            line,
                            N_("unknown activity '{activity}' (no es/en file with this id)"),
                            activity=activity_id,
                        )
                else:
                    document["activities"][activity_id] = _compile_activity(
                        c, root, by_id[activity_id], course["id"], module["id"]
                    )
                listed.add(activity_id)
        for activity_id, versions in by_id.items():
            if activity_id not in listed:
                c.add(
                    versions["es"].path,
                    1,
                    N_("activity '{activity}' is not listed in any module of course.yaml"),
                    activity=activity_id,
                )
        module_ids = [m["id"] for m in course["modules"]]
        if len(module_ids) != len(set(module_ids)):
            c.add(course_path, yamlines.line_of(raw, ("modules",)), N_("module ids must be unique"))
        course["grading"] = course.get("grading") or {"score_maximum": 100.0}
        document["courses"][course["id"]] = course
        course_raws[course["id"]] = (course_path, raw)

    _check_references(c, document, programme_raw, placement_raw, pathway_raws, course_raws)
    _check_schools(
        c, document, programme_raw, placement_raw, school_raws, course_raws, broken_schools
    )
    sections, problems = compile_programme_data(root, today)  # referrals, mentoring, surveys
    document.update(sections)
    c.found.extend(problems)
    c.found.sort()
    return document, c.found


def _check_references(
    c: Problems,
    document: dict[str, Any],
    programme_raw: Any,
    placement_raw: Any,
    pathway_raws: dict[str, tuple[Path, Any]],
    course_raws: dict[str, tuple[Path, Any]],
) -> None:
    courses = document["courses"]
    programme = document["programme"]
    if programme:
        for index, pathway_id in enumerate(programme["pathways"]):
            if pathway_id not in document["pathways"]:
                line = yamlines.line_of(programme_raw, ("pathways", index))
                c.add("programme.yaml", line, N_("unknown pathway '{pathway}'"), pathway=pathway_id)
    for pathway_id, pathway in document["pathways"].items():
        path, raw = pathway_raws[pathway_id]
        for level_id, level in pathway["levels"].items():
            for index, course_id in enumerate(level["courses"]):
                if course_id not in courses:
                    line = yamlines.line_of(raw, ("levels", level_id, "courses", index))
                    c.add(path, line, N_("unknown course '{course}'"), course=course_id)
    for course_id, course in courses.items():
        path, raw = course_raws[course_id]
        for index, prerequisite in enumerate(course["prerequisites"]):
            if prerequisite not in courses:
                line = yamlines.line_of(raw, ("prerequisites", index))
                c.add(
                    path,
                    line,
                    N_("unknown prerequisite course '{course}'"),
                    course=prerequisite,
                )
        if _has_cycle(course_id, courses):
            c.add(
                path,
                yamlines.line_of(raw, ("prerequisites",)),
                N_("prerequisites go round in a circle"),
            )
    placement = document.get("placement")
    if not placement:
        return
    questions = {q["id"]: {o["id"] for o in q["options"]} for q in placement["questions"]}
    for section in ("rules", "adjustments"):
        for index, entry in enumerate(placement[section]):
            for question_id, option_ids in entry["when"].items():
                line = yamlines.line_of(placement_raw, (section, index, "when", question_id))
                if question_id not in questions:
                    c.add(
                        "placement.yaml",
                        line,
                        N_("unknown question '{question}'"),
                        question=question_id,
                    )
                    continue
                for option_id in option_ids:
                    if option_id not in questions[question_id]:
                        c.add(
                            "placement.yaml",
                            line,
                            N_("question '{question}' has no option '{option}'"),
                            question=question_id,
                            option=option_id,
                        )
            for key in ("add", "skip"):
                for ci, course_id in enumerate(entry.get(key, [])):
                    if course_id not in courses:
                        line = yamlines.line_of(placement_raw, (section, index, key, ci))
                        c.add(
                            "placement.yaml",
                            line,
                            N_("unknown course '{course}'"),
                            course=course_id,
                        )
    places: list[tuple[tuple[str | int, ...], Any]] = [
        (("rules", i), r["place"]) for i, r in enumerate(placement["rules"])
    ]
    places.append((("fallback",), placement["fallback"]["place"]))
    for where, place in places:
        if place["pathway"] not in document["pathways"]:
            line = yamlines.line_of(placement_raw, (*where, "place", "pathway"))
            c.add(
                "placement.yaml",
                line,
                N_("unknown pathway '{pathway}'"),
                pathway=place["pathway"],
            )


def _check_schools(
    c: Problems,
    document: dict[str, Any],
    programme_raw: Any,
    placement_raw: Any,
    school_raws: dict[str, tuple[Path, Any]],
    course_raws: dict[str, tuple[Path, Any]],
    broken_schools: set[str],
) -> None:
    """Schools are programmes of their own: their courses exist, belong to no pathway and to no
    other school, placement never adds them, and only their modules may name a `week`.
    `broken_schools` were reported already: what depends on them is not reported again."""
    courses = document["courses"]
    schools = document["schools"]
    programme = document["programme"]
    listed = programme["schools"] if programme else []
    for index, school_id in enumerate(listed):
        if school_id not in schools and school_id not in broken_schools:
            line = yamlines.line_of(programme_raw, ("schools", index))
            c.add("programme.yaml", line, N_("unknown school '{school}'"), school=school_id)
    in_pathway: dict[str, str] = {}
    for pathway_id, pathway in document["pathways"].items():
        for level in pathway["levels"].values():
            for course_id in level["courses"]:
                in_pathway.setdefault(course_id, pathway_id)
    school_of: dict[str, str] = {}
    for school_id, school in schools.items():
        path, raw = school_raws[school_id]
        if programme and school_id not in listed:
            c.add(
                path,
                yamlines.line_of(raw, ("id",)),
                N_("school '{school}' is not listed in programme.yaml (schools): nobody sees it"),
                severity="warning",
                school=school_id,
            )
        for index, course_id in enumerate(school["courses"]):
            line = yamlines.line_of(raw, ("courses", index))
            if course_id not in courses:
                c.add(path, line, N_("unknown course '{course}'"), course=course_id)
            elif course_id in in_pathway:
                c.add(
                    path,
                    line,
                    N_(
                        "course '{course}' is also in pathway '{pathway}': "
                        "a school's courses are its own"
                    ),
                    course=course_id,
                    pathway=in_pathway[course_id],
                )
            elif school_of.get(course_id) == school_id:
                c.add(path, line, N_("course '{course}' is listed twice"), course=course_id)
            elif course_id in school_of:
                c.add(
                    path,
                    line,
                    N_("course '{course}' is also in school '{school}'"),
                    course=course_id,
                    school=school_of[course_id],
                )
            else:
                school_of[course_id] = school_id
        eligibility = school.get("mentor_eligibility") or {"courses": []}
        for index, course_id in enumerate(eligibility["courses"]):
            line = yamlines.line_of(raw, ("mentor_eligibility", "courses", index))
            if course_id not in courses:
                c.add(path, line, N_("unknown course '{course}'"), course=course_id)
            elif eligibility["courses"].index(course_id) != index:
                c.add(path, line, N_("course '{course}' is listed twice"), course=course_id)
    placement = document.get("placement")
    for index, adjustment in enumerate(placement["adjustments"] if placement else []):
        for ci, course_id in enumerate(adjustment["add"]):
            if course_id in school_of:
                line = yamlines.line_of(placement_raw, ("adjustments", index, "add", ci))
                c.add(
                    "placement.yaml",
                    line,
                    N_("course '{course}' belongs to school '{school}': placement never offers it"),
                    course=course_id,
                    school=school_of[course_id],
                )
    for course_id, course in courses.items():
        path, raw = course_raws[course_id]
        school_id = school_of.get(course_id)
        weeks = schools[school_id].get("weeks") if school_id else None
        previous = 0
        for index, module in enumerate(course["modules"]):
            week = module.get("week")
            if week is None:
                continue
            line = yamlines.line_of(raw, ("modules", index, "week"))
            if weeks is None:
                if school_id or not broken_schools:  # else: maybe in the broken school
                    c.add(path, line, N_("'week' is only for courses of a school with 'weeks'"))
            elif week > weeks:
                c.add(
                    path,
                    line,
                    N_("week {week} is after the school's last week ({weeks})"),
                    week=week,
                    weeks=weeks,
                )
            elif week < previous:
                c.add(
                    path,
                    line,
                    N_(
                        "week {week} comes before week {previous} of a module above: "
                        "modules open in order"
                    ),
                    week=week,
                    previous=previous,
                )
            previous = max(previous, week)


def _has_cycle(start: str, courses: dict[str, Any]) -> bool:
    seen: set[str] = set()
    stack = list(courses[start]["prerequisites"])
    while stack:
        current = stack.pop()
        if current == start:
            return True
        if current in seen or current not in courses:
            continue
        seen.add(current)
        stack.extend(courses[current]["prerequisites"])
    return False


def tree_digest(root: Path) -> str:
    """A fingerprint of every file in the tree: the same tree imported twice is one version."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
