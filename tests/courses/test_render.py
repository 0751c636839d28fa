"""Authored Markdown and HTML can never run script in a participant's browser."""

from __future__ import annotations

import re

import pytest

from courses.authoring.render import render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<svg onload=alert(1)><circle/></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="https://evil.example"><button>x</button></form>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<img src="x" alt="a" onmouseover="alert(1)">',
    "<body onload=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]


@pytest.mark.parametrize("payload", XSS)
def test_known_xss_payloads_are_neutralised(payload: str) -> None:
    html = render_markdown(f"Texto\n\n{payload}\n").lower()
    for tag in (
        "<script",
        "<iframe",
        "<svg",
        "<object",
        "<embed",
        "<form",
        "<meta",
        "<base",
        "<link",
        "<style",
        "<math",
        "<body",
    ):
        assert tag not in html, (payload, html)
    # Whatever text remains is inert: no attribute can carry a handler, a style or a script URL.
    assert not re.search(r"<[^>]+\s(on\w+|style)\s*=", html), (payload, html)
    assert not re.search(r"(href|src|action)\s*=\s*[\"']?\s*(javascript|data|vbscript):", html), (
        payload,
        html,
    )


def test_sanitising_is_stable() -> None:
    once = render_markdown("Hola <b>mundo</b> [sii](https://www.sii.cl) <img src=x onerror=y>")
    from courses.authoring.render import sanitise

    assert sanitise(once) == once


def test_ordinary_markdown_survives() -> None:
    html = render_markdown(
        "# Título\n\nUn **texto** con [enlace](https://www.sii.cl).\n\n- uno\n- dos\n"
    )
    assert "<h2>Título</h2>" in html  # h1 belongs to the page
    assert "<strong>texto</strong>" in html
    assert 'href="https://www.sii.cl"' in html and 'rel="noopener noreferrer"' in html
    assert "<li>uno</li>" in html
