"""Markdown to safe HTML: markdown-it-py renders, then nh3 (the Ammonia sanitiser) keeps only an
allow-list of tags, attributes and URL schemes. Authored content can never run script in a
participant's browser; `find_unsafe_html` reports what the sanitiser would remove, with its line,
so designers fix the file instead of being surprised."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

from courses.authoring.errors import N_, Message

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "b", "i", "u", "s", "del", "mark", "small",
    "ul", "ol", "li", "blockquote", "code", "pre", "a", "img", "figure", "figcaption",
    "table", "thead", "tbody", "tr", "th", "td", "span", "abbr", "dl", "dt", "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "lang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "span": {"lang"},
    "p": {"lang"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML (headings start at h2: the page owns h1)."""
    html = _markdown.render(_demote_h1(text))
    return sanitise(html)


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _demote_h1(text: str) -> str:
    return re.sub(r"^# ", "## ", text, flags=re.MULTILINE)


@dataclass(frozen=True)
class BodyProblem:
    line: int  # relative to the body's first line (1-based)
    message: Message


class _TagScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[Message] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(Message.of(N_("unsafe HTML: <{tag}> is not allowed"), tag=tag))
            return
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(
                    Message.of(
                        N_("unsafe HTML: event handler '{name}' on <{tag}>"), name=name, tag=tag
                    )
                )
            elif name == "style":
                self.problems.append(
                    Message.of(N_("unsafe HTML: 'style' on <{tag}> (use Markdown)"), tag=tag)
                )
            elif name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.problems.append(
                    Message.of(N_("unsafe HTML: attribute '{name}' on <{tag}>"), name=name, tag=tag)
                )
            elif name in ("href", "src") and value and _bad_scheme(value):
                self.problems.append(
                    Message.of(N_("unsafe HTML: '{value}' in {name}"), value=value[:40], name=name)
                )


def _bad_scheme(url: str) -> bool:
    match = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):", url)
    return bool(match) and match.group(1).lower() not in URL_SCHEMES  # type: ignore[union-attr]


@dataclass(frozen=True)
class Reference:
    line: int
    url: str
    kind: str  # link | image
    alt: str


def scan_body(text: str) -> tuple[list[BodyProblem], list[Reference]]:
    """Unsafe HTML in the Markdown, and every link and image it references, with lines."""
    problems: list[BodyProblem] = []
    references: list[Reference] = []
    for token in _markdown.parse(_demote_h1(text)):
        line = (token.map[0] + 1) if token.map else 1
        if token.type == "html_block":
            problems.extend(BodyProblem(line, p) for p in _scan_html(token.content))
        for child in token.children or []:
            if child.type == "html_inline":
                problems.extend(BodyProblem(line, p) for p in _scan_html(child.content))
            elif child.type == "link_open":
                references.append(Reference(line, str(child.attrGet("href") or ""), "link", ""))
            elif child.type == "image":
                references.append(
                    Reference(line, str(child.attrGet("src") or ""), "image", child.content)
                )
            elif child.type == "text" and re.search(
                r"\]\(\s*(javascript|vbscript|data):", child.content, re.I
            ):
                problems.append(
                    BodyProblem(line, Message(N_("unsafe link: only http(s), mailto and tel")))
                )
    return problems, references


def _scan_html(fragment: str) -> list[Message]:
    scanner = _TagScanner()
    scanner.feed(fragment)
    scanner.close()
    return scanner.problems
