"""The licence face (电子证照照面) as a one-page PDF, drawn straight on a reportlab canvas.

A4 landscape, like the paper 正本 of a 许可证: a double border, the licence name large and centred, the
holder line, a ruled table of label/value rows (照面信息), a QR code to the public verification page with
"扫码验证", the issuer and the issue date at the bottom right with the seal (``seal_image.draw_seal``) over
them, and the licence identifier (证照标识, GB/T 36904) in small print at the bottom.

Speed: a licence is rendered and then signed, and the benchmark wants the pair at ≥ 50 % of the signing rate,
so rendering must cost less than a signature. Hence no platypus (its layout engine costs several times the
drawing): the layout is a handful of measured lines, and the QR code is one vector path of merged module runs.

Safety: the canvas draws strings as given — nothing is parsed as markup, so ``<b>`` in a citizen's data
prints as ``<b>``; control characters are dropped. Fonts come from ``yiwang.core.pdf.font_for`` (an embedded
TrueType font with every character of the face, else the built-in STSong-Light); the text stays extractable
(``pdftotext``, copy, search).
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Iterable

import segno
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from yiwang.core.pdf import font_for, format_date
from yiwang.licenses.seal_image import DEFAULT_LABEL, draw_seal

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)  # 841.9 × 595.3 pt
BORDER_OUTER = 20.0
BORDER_INNER = 27.0
BORDER_COLOUR = (0.62, 0.47, 0.2)  # 金色花边
INK = (0.1, 0.1, 0.1)
RULE = (0.7, 0.62, 0.48)

TITLE_Y = PAGE_HEIGHT - 92
TITLE_SIZE = 30.0
TITLE_MAX_WIDTH = 560.0
HOLDER_Y = PAGE_HEIGHT - 122
HOLDER_SIZE = 14.0

TABLE_LEFT = 72.0
TABLE_RIGHT = 598.0
TABLE_TOP = PAGE_HEIGHT - 140
TABLE_BOTTOM = 92.0
LABEL_WIDTH = 150.0
CELL_PAD = 0.46  # × the font size, above and below each row's text
BODY_SIZE = 13.0
MIN_BODY_SIZE = 7.5

QR_SIZE = 122.0
QR_CENTRE_X = 706.0
QR_TOP = TABLE_TOP
CAPTION_SIZE = 11.0
# A fixed QR mask pattern: choosing the "best" of the eight (segno's penalty scoring, pure Python) costs ~6 ms,
# more than the rest of the face. Any mask gives a conforming symbol; scanners read them all (the scoring only
# avoids rare finder-like patterns in the data area, and the quiet zone and finder patterns are unaffected).
QR_MASK = 0

ISSUER_CENTRE_X = QR_CENTRE_X
ISSUER_Y = 158.0
ISSUER_SIZE = 14.0
ISSUER_MAX_WIDTH = 200.0
DATE_Y = 134.0
SEAL_DIAMETER = 119.0  # 42 mm, the usual diameter of an organisation's round seal

FOOT_LEFT = TABLE_LEFT
IDENTIFIER_Y = 60.0
URL_Y = 47.0
FOOT_SIZE = 8.5
FOOT_MAX_WIDTH = PAGE_WIDTH - 2 * FOOT_LEFT


def _clean(text: object) -> str:
    """Printable text only: line breaks kept as "\\n", other control characters dropped."""
    value = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch == "\n" or unicodedata.category(ch)[0] != "C").strip()


def _one_line(text: object) -> str:
    return " ".join(_clean(text).split())


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at any character (Chinese has no spaces); a Latin word moves whole to the next line
    when the line has a space to break at."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        line_width = 0.0
        for char in paragraph:
            char_width = stringWidth(char, font, size)
            if line and line_width + char_width > width:
                cut = line.rfind(" ") if char.isascii() and char.isalnum() and line[-1:].isalnum() else -1
                if cut > 0:
                    lines.append(line[:cut].rstrip())
                    line = line[cut + 1 :]
                else:
                    lines.append(line.rstrip())
                    line = ""
                line = line.lstrip()
                line_width = stringWidth(line, font, size)
            line += char
            line_width += char_width
        lines.append(line.rstrip())
    return lines or [""]


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The largest font size ≤ ``size`` (down to ``smallest``) at which ``text`` fits ``width`` on one line."""
    natural = stringWidth(text, font, size)
    if natural <= width:
        return size
    return max(smallest, size * width / natural)


def _layout_rows(
    rows: list[tuple[str, str]], font: str, size: float
) -> tuple[list[tuple[list[str], list[str], float]], float]:
    """Each row's label lines, value lines and height at ``size``; and the table's total height."""
    leading = size * 1.45
    pad = size * CELL_PAD
    value_width = TABLE_RIGHT - TABLE_LEFT - LABEL_WIDTH - 2 * pad
    label_width = LABEL_WIDTH - 2 * pad
    laid: list[tuple[list[str], list[str], float]] = []
    total = 0.0
    for label, value in rows:
        label_lines = _wrap(label, font, size, label_width)
        value_lines = _wrap(value, font, size, value_width)
        height = max(len(label_lines), len(value_lines)) * leading + 2 * pad
        laid.append((label_lines, value_lines, height))
        total += height
    return laid, total


def _draw_border(canvas: Canvas) -> None:
    canvas.setStrokeColorRGB(*BORDER_COLOUR)
    canvas.setLineWidth(3)
    canvas.rect(BORDER_OUTER, BORDER_OUTER, PAGE_WIDTH - 2 * BORDER_OUTER, PAGE_HEIGHT - 2 * BORDER_OUTER)
    canvas.setLineWidth(0.8)
    canvas.rect(BORDER_INNER, BORDER_INNER, PAGE_WIDTH - 2 * BORDER_INNER, PAGE_HEIGHT - 2 * BORDER_INNER)
    canvas.setFillColorRGB(*BORDER_COLOUR)
    corner = 9.0
    for x in (BORDER_INNER - corner / 2, PAGE_WIDTH - BORDER_INNER - corner / 2):
        for y in (BORDER_INNER - corner / 2, PAGE_HEIGHT - BORDER_INNER - corner / 2):
            canvas.rect(x, y, corner, corner, stroke=0, fill=1)


def _draw_qr(canvas: Canvas, data: str, left: float, bottom: float, size: float) -> None:
    """The QR code as one filled path in module units: one rectangle per horizontal run of dark modules.

    Written as literal path operators with integer coordinates under a scaling transform: reportlab's own
    ``rect`` formats every float in Python, which cost more than the whole rest of the page.
    """
    code = segno.make(data, error="m", micro=False, mask=QR_MASK)
    matrix = code.matrix
    modules = len(matrix)
    operators: list[str] = []
    for row_index, row in enumerate(matrix):
        y = modules - 1 - row_index
        column = 0
        while column < modules:
            if row[column]:
                start = column
                while column < modules and row[column]:
                    column += 1
                operators.append(f"{start} {y} {column - start} 1 re")
            else:
                column += 1
    unit = size / modules
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.transform(unit, 0, 0, unit, left, bottom)
    canvas.addLiteral("\n".join(operators) + "\nf")
    canvas.restoreState()


def _flate_only(canvas: Canvas) -> None:
    """Compress the page with Flate alone: reportlab also wraps it in ASCII85 (``rl_config.useA85``, a global),
    which is pure Python here and costs ~1 ms a face for nothing (a PDF is binary anyway). A page whose
    contents are already set is left alone by reportlab's ``PDFPage.check_format``; if reportlab's internals
    ever change, this does nothing and the page keeps the default filters."""
    pages = getattr(getattr(getattr(canvas, "_doc", None), "Pages", None), "pages", None)
    if not pages:
        return
    page = pages[-1]
    stream = getattr(page, "stream", None)
    if isinstance(stream, str) and not getattr(page, "Contents", None):
        page.Contents = pdfdoc.PDFStream(content=stream, filters=[pdfdoc.PDFZCompress])


def render_face(
    *,
    title: str,
    fields: list[tuple[str, str]],
    identifier: str,
    issuer_name: str,
    issued_on: dt.date,
    validity_text: str,
    verify_url: str,
    seal_organisation: str,
    seal_label: str = DEFAULT_LABEL,
    holder_line: str = "",
) -> bytes:
    """One licence face as PDF bytes (A4 landscape, one page).

    ``title`` 证照名称 (食品经营许可证); ``fields`` 照面信息 as (label, value) rows, values wrap and may hold
    "\\n"; ``validity_text`` becomes a last row 有效期限 (left out when empty); ``holder_line`` an optional line
    under the title; ``identifier`` 证照标识, printed small at the bottom with the ``verify_url`` the QR code
    encodes. ``ValueError`` when a required text is empty or the rows cannot fit on the page.
    """
    title = _one_line(title)
    issuer = _one_line(issuer_name)
    identifier = _one_line(identifier)
    verify_url = _one_line(verify_url)
    if not title or not issuer or not identifier or not verify_url:
        raise ValueError("照面需要证照名称、颁发机构、证照标识和验证网址")
    holder = _one_line(holder_line)
    rows = [(_one_line(label), _clean(value)) for label, value in fields]
    if _one_line(validity_text):
        rows.append(("有效期限", _one_line(validity_text)))
    date_text = format_date(issued_on)
    identifier_text = f"证照标识：{identifier}"
    url_text = f"验证网址：{verify_url}"
    caption = "扫码验证"

    every_text: Iterable[str] = (
        title,
        holder,
        issuer,
        date_text,
        identifier_text,
        url_text,
        caption,
        *(label + value for label, value in rows),
    )
    font = font_for("".join(every_text))

    size = BODY_SIZE
    laid, table_height = _layout_rows(rows, font, size)
    while table_height > TABLE_TOP - TABLE_BOTTOM and size > MIN_BODY_SIZE:
        size = max(MIN_BODY_SIZE, size - 0.5)
        laid, table_height = _layout_rows(rows, font, size)
    if table_height > TABLE_TOP - TABLE_BOTTOM:
        raise ValueError("照面信息过多，无法在一页内排版")

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(issuer)
    canvas.setSubject(identifier)
    canvas.setCreator("一网 Yiwang")

    _draw_border(canvas)

    canvas.setFillColorRGB(*INK)
    title_space = 8.0 if len(title) <= 12 else 2.0
    title_size = _fit(title, font, TITLE_SIZE, TITLE_MAX_WIDTH - title_space * len(title), 16)
    canvas.setFont(font, title_size)
    canvas.drawCentredString(PAGE_WIDTH / 2 + title_space / 2, TITLE_Y, title, charSpace=title_space)
    if holder:
        canvas.setFont(font, _fit(holder, font, HOLDER_SIZE, TITLE_MAX_WIDTH, 8))
        canvas.drawCentredString(PAGE_WIDTH / 2, HOLDER_Y, holder)

    # 照面信息: a ruled two-column table.
    leading = size * 1.45
    pad = size * CELL_PAD
    canvas.setStrokeColorRGB(*RULE)
    canvas.setLineWidth(0.6)
    top = TABLE_TOP
    if laid:
        canvas.rect(TABLE_LEFT, top - table_height, TABLE_RIGHT - TABLE_LEFT, table_height)
        canvas.line(TABLE_LEFT + LABEL_WIDTH, top, TABLE_LEFT + LABEL_WIDTH, top - table_height)
    canvas.setFont(font, size)
    for position, (label_lines, value_lines, height) in enumerate(laid):
        if position:
            canvas.line(TABLE_LEFT, top, TABLE_RIGHT, top)
        baseline = top - pad - size
        for line_index, line in enumerate(label_lines):
            canvas.drawString(TABLE_LEFT + pad, baseline - line_index * leading, line)
        for line_index, line in enumerate(value_lines):
            canvas.drawString(TABLE_LEFT + LABEL_WIDTH + pad, baseline - line_index * leading, line)
        top -= height

    _draw_qr(canvas, verify_url, QR_CENTRE_X - QR_SIZE / 2, QR_TOP - QR_SIZE, QR_SIZE)
    canvas.setFillColorRGB(*INK)
    canvas.setFont(font, CAPTION_SIZE)
    canvas.drawCentredString(QR_CENTRE_X, QR_TOP - QR_SIZE - 16, caption)

    canvas.setFont(font, _fit(issuer, font, ISSUER_SIZE, ISSUER_MAX_WIDTH, 7))
    canvas.drawCentredString(ISSUER_CENTRE_X, ISSUER_Y, issuer)
    canvas.setFont(font, ISSUER_SIZE)
    canvas.drawCentredString(ISSUER_CENTRE_X, DATE_Y, date_text)

    canvas.setFillColorRGB(0.3, 0.3, 0.3)
    canvas.setFont(font, _fit(identifier_text, font, FOOT_SIZE, FOOT_MAX_WIDTH, 5))
    canvas.drawString(FOOT_LEFT, IDENTIFIER_Y, identifier_text)
    canvas.setFont(font, _fit(url_text, font, FOOT_SIZE, FOOT_MAX_WIDTH, 5))
    canvas.drawString(FOOT_LEFT, URL_Y, url_text)

    # The seal goes last, over the issuer's name and the date, as a stamp would.
    draw_seal(canvas, ISSUER_CENTRE_X, (ISSUER_Y + DATE_Y) / 2 + 4, SEAL_DIAMETER, seal_organisation, seal_label)

    canvas.showPage()
    _flate_only(canvas)
    canvas.save()
    return buffer.getvalue()
