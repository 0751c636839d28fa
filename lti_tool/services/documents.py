"""Files made on the server for her to keep: her worksheet as a PDF.

fpdf2 (pure Python, no system libraries or headless browser; the CV uses it too) draws an A4
page with the built-in fonts. Inside an LMS iframe, the browser's Print menu prints the LMS page
around Senda, not her work: a PDF download prints cleanly from any phone.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from fpdf import FPDF

BRAND = (91, 42, 134)
INK = (31, 29, 43)
MUTED = (85, 83, 106)


def latin(text: str) -> str:
    """What the PDF's built-in fonts can draw (Windows-1252: every Spanish letter, ü, ñ, the
    dashes and quotes); anything else as its closest letter, or dropped."""
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore").decode("cp1252")
            out.append(base)
    return "".join(out)


def worksheet_pdf(
    title: str,
    subtitle: str,
    answers: Sequence[tuple[str, str]],
    lang: str,
    empty: str = "—",
) -> bytes:
    """Her worksheet: its title, a line under it (course, her name, the date), then each field's
    label and her answer, as many pages as it takes."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_title(latin(title))
    pdf.set_lang(lang)
    pdf.set_creator("Senda")
    pdf.add_page()
    width = pdf.epw
    pdf.set_text_color(*BRAND)
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(width, 8, latin(title), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(*MUTED)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(width, 5, latin(subtitle), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.6)
    pdf.ln(2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(4)
    for label, answer in answers:
        pdf.set_text_color(*INK)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(width, 6, latin(label), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(1)
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(
            width, 5.5, latin(answer.strip() or empty), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        pdf.ln(5)
    return bytes(pdf.output())
