"""Official notices (文书) as PDF: 一次性告知书, 不予受理通知书, 受理通知书, decision notices, later certificates.

One layout for every notice, after GB/T 9704-2012 (党政机关公文格式) where it fits a single-sender notice:
A4 with the 版心 156 × 225 mm (margins 37 top, 35 bottom, 28 left, 26 right), the title centred at 22 pt,
body text at 16 pt (三号) with a two-character first-line indent, a numbered list (for example every missing
material and what is wrong with it), the issuer and the date at the bottom right, "第 x 页 共 n 页" on every
page. Every string is escaped: a citizen's name can never inject reportlab markup.

Fonts — Chinese must render AND be extractable (copy, search, ``pdftotext``) on any machine:

* **Built-in CID font ``STSong-Light``** (reportlab's ``UnicodeCIDFont``, Adobe-GB1 character collection,
  encoding ``UniGB-UCS2-H``): needs no font file at all, so a fresh server renders notices. The font is
  *referenced*, not embedded: every conforming PDF reader substitutes its own 宋体 (Adobe Reader with its
  Asian font pack, pdf.js, PDFium, poppler with ``poppler-data``). It is the fallback.
* **An embedded TrueType font when one is installed** (subset, with a ToUnicode map, so the document
  looks the same everywhere and stays extractable): the setting ``YIWANG_PDF_FONT`` names a ``.ttf`` /
  ``.ttc`` file (``path#index`` picks a face in a collection), or ``builtin`` to always use the CID font;
  empty (the default) looks for the free fonts Linux distributions package, in this order: AR PL UMing CN
  (``fonts-arphic-uming``, a 明体 close to 宋体), WenQuanYi Zen Hei and Micro Hei (``fonts-wqy-zenhei``,
  ``fonts-wqy-microhei``), Droid Sans Fallback.
* **Not Noto CJK / Source Han** (``fonts-noto-cjk``, the usual CJK font on Debian): they are OpenType with
  CFF (PostScript) outlines, which reportlab's ``TTFont`` refuses ("postscript outlines are not supported").
  Such a machine falls back to ``STSong-Light``.
* A TrueType font is used for a document only if it has a glyph for **every** character in it; otherwise
  that document uses ``STSong-Light`` (Adobe-GB1 covers GB 18030's CJK ideographs). A rare character in a
  name (生僻字) is therefore never printed as an empty box just because the installed font lacks it.
* A font named in ``YIWANG_PDF_FONT`` that cannot be loaded, or has no Chinese glyphs, is an error at the
  first render (``ImproperlyConfigured``) rather than a silent fallback: the operator asked for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer

BUILTIN_FONT = "STSong-Light"
# Free TrueType-outline CJK fonts as Debian/Ubuntu and Fedora/RHEL install them: (path, face index).
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # AR PL UMing CN (fonts-arphic-uming)
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # fonts-wqy-zenhei
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),  # wqy-zenhei-fonts (Fedora/RHEL)
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # fonts-wqy-microhei
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),  # wqy-microhei-fonts (Fedora/RHEL)
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # fonts-droid-fallback
)
# A font without these has no usable Chinese glyphs (it is a Latin font, or a CJK font for another script).
_CJK_PROBE = "中华人民共和国通知书第页年月日"

# GB/T 9704-2012 版心: 156 mm × 225 mm on A4.
PAGE_SIZE = A4
MARGIN_TOP = 37 * mm
MARGIN_BOTTOM = 35 * mm
MARGIN_LEFT = 28 * mm
MARGIN_RIGHT = 26 * mm
TITLE_SIZE = 22  # 二号
BODY_SIZE = 16  # 三号
BODY_LEADING = 28
SMALL_SIZE = 12  # 小四: footer and page numbers


@dataclass(frozen=True)
class _TrueType:
    """A registered TrueType font and the code points it has glyphs for."""

    name: str
    path: str
    covers: frozenset[int]


_register_lock = threading.Lock()


def _register_builtin() -> str:
    with _register_lock:
        if BUILTIN_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(BUILTIN_FONT))
    return BUILTIN_FONT


@lru_cache(maxsize=8)
def _load_truetype(path: str, index: int) -> _TrueType:
    """Register one face of a TrueType file (cached per process); ``TTFError``/``OSError`` if it cannot."""
    # One name per file and face. (reportlab also keeps one face per PostScript name: a second file with the
    # same internal name gets the first one's face — so the coverage is read from the font it hands back.)
    name = f"YiwangNotice-{hashlib.sha256(path.encode()).hexdigest()[:12]}-{index}"
    with _register_lock:
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    font = pdfmetrics.getFont(name)
    covers = frozenset(char for char, glyph in font.face.charToGlyph.items() if glyph)  # glyph 0 = .notdef
    return _TrueType(name=name, path=path, covers=covers)


def _has_chinese(font: _TrueType) -> bool:
    return all(ord(ch) in font.covers for ch in _CJK_PROBE)


def _configured_truetype() -> _TrueType | None:
    """The TrueType font the setting asks for or auto-discovery finds; ``None`` means the built-in font."""
    setting = str(getattr(settings, "YIWANG_PDF_FONT", "") or "").strip()
    if setting.lower() == "builtin":
        return None
    if setting:
        file_name, _, face = setting.partition("#")
        try:
            font = _load_truetype(file_name, int(face or 0))
        except (TTFError, OSError, ValueError) as exc:
            raise ImproperlyConfigured(
                f"YIWANG_PDF_FONT={setting!r} 无法加载（须为 TrueType 字形的 .ttf/.ttc 文件；"
                f"Noto CJK 等 CFF 字形的 OpenType 字体不受支持）: {exc}"
            ) from exc
        if not _has_chinese(font):
            raise ImproperlyConfigured(f"YIWANG_PDF_FONT={setting!r} 不含中文字形，请改用中文字体或设为 builtin")
        return font
    for path, index in FONT_CANDIDATES:
        if not Path(path).is_file():
            continue
        try:
            font = _load_truetype(path, index)
        except (TTFError, OSError):
            continue
        if _has_chinese(font):
            return font
    return None


def font_for(text: str) -> str:
    """The registered font name to set ``text`` in: the TrueType font if it has every character, else the
    built-in CID font."""
    truetype = _configured_truetype()
    if truetype is not None and all(ord(ch) in truetype.covers for ch in text if ch.isprintable()):
        return truetype.name
    return _register_builtin()


def format_date(day: dt.date) -> str:
    """成文日期 as GB/T 9704-2012 writes it: Arabic numerals, no leading zeros — 2026年3月5日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _markup(text: str) -> str:
    """Plain text → Paragraph markup: escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in text.strip().splitlines())


class _NumberedCanvas(Canvas):
    """Holds every page until the end so that each can say "共 n 页" (the total is known only then)."""

    font_name = BUILTIN_FONT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(self.font_name, SMALL_SIZE)
            self.drawCentredString(PAGE_SIZE[0] / 2, MARGIN_BOTTOM / 2, f"第 {number} 页 共 {total} 页")
            super().showPage()
        super().save()


def render_notice(
    *,
    title: str,
    number: str,
    addressee: str,
    paragraphs: list[str],
    items: list[str] | None = None,
    items_title: str = "",
    issuer: str,
    issued_on: dt.date,
    footer: str = "",
) -> bytes:
    """A notice as PDF bytes (A4, one or more pages).

    ``title`` 文书名称 (一次性告知书); ``number`` 文号, printed right-aligned under the title; ``addressee`` 主送
    (the applicant), followed by "："; ``paragraphs`` 正文, one string each (line breaks kept); ``items`` a
    numbered list after the paragraphs, introduced by ``items_title`` (需补正的材料：); ``issuer`` 落款 and
    ``issued_on`` 成文日期 at the bottom right; ``footer`` a closing note under a rule after the signature
    (咨询电话、救济途径). Text wraps at any character (``wordWrap="CJK"``).
    """
    if not title.strip() or not issuer.strip():
        raise ValueError("render_notice needs a title and an issuer")
    items = items or []
    date_text = format_date(issued_on)
    every_text: Iterable[str] = (
        title,
        number,
        addressee,
        *paragraphs,
        *items,
        items_title,
        issuer,
        date_text,
        footer,
        "第页共0123456789.",
    )
    font = font_for("".join(every_text))

    def style(name: str, **kw: Any) -> ParagraphStyle:
        base: dict[str, Any] = {
            "fontName": font,
            "fontSize": BODY_SIZE,
            "leading": BODY_LEADING,
            "wordWrap": "CJK",
            "alignment": TA_LEFT,
        }
        return ParagraphStyle(name, **{**base, **kw})

    indent = 2 * BODY_SIZE  # 首行缩进二字
    widest_number = pdfmetrics.stringWidth(f"{len(items)}.", font, BODY_SIZE)
    title_style = style("title", fontSize=TITLE_SIZE, leading=TITLE_SIZE * 1.6, alignment=TA_CENTER, spaceAfter=6)
    number_style = style("number", alignment=TA_RIGHT, spaceAfter=BODY_LEADING / 2)
    body_style = style("body", firstLineIndent=indent, alignment=TA_JUSTIFY)
    item_style = style(
        "item",
        leftIndent=indent + widest_number + BODY_SIZE / 2,
        bulletIndent=indent,
        bulletFontName=font,
        bulletFontSize=BODY_SIZE,
        alignment=TA_JUSTIFY,
    )
    sign_style = style("sign", alignment=TA_RIGHT, rightIndent=indent)
    footer_style = style("footer", fontSize=SMALL_SIZE, leading=SMALL_SIZE * 1.7)

    story: list[Flowable] = [Paragraph(_markup(title), title_style)]
    if number.strip():
        story.append(Paragraph(_markup(number), number_style))
    if addressee.strip():
        name = addressee.strip()
        story.append(Paragraph(_markup(name if name.endswith(("：", ":")) else f"{name}："), style("addressee")))
    story.extend(Paragraph(_markup(text), body_style) for text in paragraphs if text.strip())
    if items:
        if items_title.strip():
            story.append(Paragraph(_markup(items_title), body_style))
        story.extend(
            Paragraph(_markup(text), item_style, bulletText=f"{position}.")
            for position, text in enumerate(items, start=1)
        )
    story.append(
        KeepTogether(
            [Spacer(1, BODY_LEADING * 1.5), Paragraph(_markup(issuer), sign_style), Paragraph(date_text, sign_style)]
        )
    )
    if footer.strip():
        story.append(Spacer(1, BODY_LEADING))
        story.append(HRFlowable(width="100%", thickness=0.6, spaceAfter=4))
        story.append(Paragraph(_markup(footer), footer_style))

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        title=title,
        author=issuer,
        subject=number,
        creator="一网 Yiwang",
        initialFontName=font,  # else every page also names Helvetica, a font the notice never uses
        initialFontSize=BODY_SIZE,
    )
    canvas_class = type("NoticeCanvas", (_NumberedCanvas,), {"font_name": font})
    document.build(story, canvasmaker=canvas_class)
    return buffer.getvalue()
