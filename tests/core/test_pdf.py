"""Notices render to PDF with Chinese that reads back (pdftotext), wrap, number their pages, and embed a
TrueType font when one is configured or installed — else use the built-in STSong-Light, which needs no file."""

from __future__ import annotations

import datetime as dt
import os
import struct
import subprocess
from pathlib import Path

import pytest
import reportlab
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase.ttfonts import TTFontFile

from yiwang.core import pdf
from yiwang.core.pdf import format_date, render_notice

ISSUER = "临沂市兰山区行政审批服务局"
NUMBER = "临兰审补字〔2026〕第12号"
ITEMS = [
    "营业执照副本复印件：复印件不清晰，请提供加盖公章的清晰复印件",
    "法定代表人身份证明：缺少，请补充提交",
    "经营场所使用证明：租赁合同已过期，请提供有效期内的租赁合同",
]


def _notice(**overrides) -> bytes:
    fields = {
        "title": "一次性告知书",
        "number": NUMBER,
        "addressee": "张三",
        "paragraphs": [
            "您于2026年3月2日申请的食品经营许可（申请编号YW20260302000123），经审查，申请材料不齐全。"
            "根据《中华人民共和国行政许可法》第三十二条，现一次性告知您需要补正的全部内容。",
            "请您自收到本告知书之日起5个工作日内补正。",
        ],
        "items": ITEMS,
        "items_title": "需要补正的材料：",
        "issuer": ISSUER,
        "issued_on": dt.date(2026, 3, 5),
        "footer": "咨询电话：0539-8888888",
    }
    return render_notice(**{**fields, **overrides})


def _tool(name: str, data: bytes, *args: str, tmp_path: Path) -> str:
    path = tmp_path / f"notice-{len(list(tmp_path.iterdir()))}.pdf"
    path.write_bytes(data)
    result = subprocess.run([name, *args, str(path), *(["-"] if name == "pdftotext" else [])], capture_output=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode("utf-8")


def _text(data: bytes, tmp_path: Path) -> str:
    return _tool("pdftotext", data, "-enc", "UTF-8", tmp_path=tmp_path)


def _pages(data: bytes, tmp_path: Path) -> int:
    info = _tool("pdfinfo", data, tmp_path=tmp_path)
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _fonts(data: bytes, tmp_path: Path) -> list[list[str]]:
    """pdffonts rows: name, type…, emb, sub, uni, object, generation."""
    return [line.split() for line in _tool("pdffonts", data, tmp_path=tmp_path).splitlines()[2:]]


def _flat(text: str) -> str:
    """The text without the line breaks wrapping put in."""
    return "".join(text.split())


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}L", data)) & 0xFFFFFFFF


def _name_table(family: str) -> bytes:
    """A 'name' table with the family, style, full and PostScript names (Windows, Unicode, en-US)."""
    names = {1: family, 2: "Regular", 4: family, 6: family}
    strings = [value.encode("utf-16-be") for value in names.values()]
    header = struct.pack(">HHH", 0, len(names), 6 + 12 * len(names))
    records, offset = b"", 0
    for name_id, encoded in zip(names, strings, strict=True):
        records += struct.pack(">HHHHHH", 3, 1, 0x409, name_id, len(encoded), offset)
        offset += len(encoded)
    return header + records + b"".join(strings)


def make_cjk_truetype(path: Path, ranges: tuple[tuple[int, int], ...]) -> Path:
    """A TrueType font for the tests: reportlab's own Vera.ttf with a cmap that also maps the given code
    point ranges (one shared glyph) and a name of its own (reportlab keeps one face per PostScript name).
    No CJK TrueType font is installed on CI — and the test needs to know exactly which characters it has."""
    source = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    raw = source.read_bytes()
    tables = {}
    for i in range(struct.unpack(">H", raw[4:6])[0]):
        tag, _sum, offset, length = struct.unpack(">4sLLL", raw[12 + 16 * i : 28 + 16 * i])
        tables[tag] = raw[offset : offset + length]
    latin = TTFontFile(str(source)).charToGlyph
    groups = [(c, c, g) for c, g in sorted(latin.items()) if c < 0x3000]
    groups += [(start, end, latin[ord("O")]) for start, end in ranges]
    body = b"".join(struct.pack(">LLL", *g) for g in groups)
    subtable = struct.pack(">HHLLL", 13, 0, 16 + len(body), 0, len(groups)) + body  # format 13: many-to-one
    tables[b"cmap"] = struct.pack(">HHHHL", 0, 1, 3, 10, 12) + subtable
    tables[b"name"] = _name_table(f"YiwangTestCJK{abs(hash(str(path))) % 10**8}")
    tags = sorted(tables)
    out = bytearray(struct.pack(">LHHHH", 0x00010000, len(tags), 16, 0, 0))
    data = b""
    start = 12 + 16 * len(tags)
    for tag in tags:
        out += struct.pack(">4sLLL", tag, _checksum(tables[tag]), start + len(data), len(tables[tag]))
        data += tables[tag] + b"\0" * (-len(tables[tag]) % 4)
    path.write_bytes(bytes(out) + data)
    return path


CJK = ((0x3000, 0x303F), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF))  # punctuation, URO ideographs, full-width forms


@pytest.fixture
def builtin_font(settings):
    settings.YIWANG_PDF_FONT = "builtin"


def test_notice_is_a_pdf_whose_chinese_text_reads_back(builtin_font, tmp_path: Path):
    data = _notice()

    assert data.startswith(b"%PDF-")
    text = _flat(_text(data, tmp_path))
    for expected in (
        "一次性告知书",
        NUMBER,
        "张三：",
        "需要补正的材料：",
        ISSUER,
        "2026年3月5日",
        "咨询电话：0539-8888888",
    ):
        assert expected in text
    for position, item in enumerate(ITEMS, start=1):
        assert f"{position}.{item}" in text
    assert "第1页共1页" in text
    assert _pages(data, tmp_path) == 1


def test_builtin_font_needs_no_file_and_is_not_embedded(builtin_font, tmp_path: Path):
    assert [row[:-2] for row in _fonts(_notice(), tmp_path)] == [
        ["STSong-Light", "CID", "Type", "0", "UniGB-UCS2-H", "no", "no", "no"]
    ]


def test_long_list_flows_onto_numbered_pages(builtin_font, tmp_path: Path):
    items = [f"第{i}项材料：复印件不清晰，请提供加盖公章的清晰复印件" for i in range(1, 81)]

    data = _notice(items=items)

    pages = _pages(data, tmp_path)
    assert pages == 8  # 80 two-line items at 8 lines a page
    page_texts = _text(data, tmp_path).split("\f")[:pages]
    for number, page in enumerate(page_texts, start=1):
        assert f"第{number}页共{pages}页" in _flat(page)
    text = _flat("".join(page_texts))
    for position, item in enumerate(items, start=1):
        assert f"{position}.{item}" in text
    assert ISSUER in _flat(page_texts[-1])


def test_long_text_wraps_within_the_page(builtin_font, tmp_path: Path):
    paragraph = "申请人应当如实向行政机关提交有关材料和反映真实情况并对其申请材料实质内容的真实性负责" * 12

    text = _text(_notice(paragraphs=[paragraph], items=[]), tmp_path)

    body_lines = [line.strip() for line in text.splitlines() if line.strip() and line.strip()[0] in paragraph]
    # 504 characters and no space to break at: 20 lines of at most 26 characters (the first indented by two)
    assert [len(line) for line in body_lines] == [24] + [26] * 18 + [12]
    assert "".join(body_lines) == paragraph


def test_markup_in_the_text_is_printed_not_interpreted(builtin_font, tmp_path: Path):
    text = _flat(_text(_notice(addressee="<b>李四</b> & 王五", items=["<font size=40>大</font>"]), tmp_path))
    assert "<b>李四</b>&王五：" in text
    assert "1.<fontsize=40>大</font>" in text


def test_date_is_written_without_leading_zeros():
    assert format_date(dt.date(2026, 1, 9)) == "2026年1月9日"


def test_configured_truetype_font_is_embedded_and_extractable(settings, tmp_path: Path):
    settings.YIWANG_PDF_FONT = str(make_cjk_truetype(tmp_path / "cjk.ttf", CJK))

    data = _notice()

    (font,) = _fonts(data, tmp_path)
    assert font[0].startswith("AAAAAA+YiwangTestCJK")  # subset prefix: embedded
    assert (font[1], font[-5:-2]) == ("TrueType", ["yes", "yes", "yes"])  # emb, sub, ToUnicode
    text = _flat(_text(data, tmp_path))
    assert "一次性告知书" in text and NUMBER in text and ISSUER in text
    assert all(item in text for item in ITEMS)


def test_a_character_missing_from_the_font_sends_the_document_to_the_builtin_font(settings, tmp_path: Path):
    settings.YIWANG_PDF_FONT = str(make_cjk_truetype(tmp_path / "cjk.ttf", CJK))

    data = _notice(addressee="王䶮")  # U+4DAE, CJK Extension A: not in this font

    assert [row[0] for row in _fonts(data, tmp_path)] == ["STSong-Light"]
    assert "王䶮：" in _flat(_text(data, tmp_path))


def test_installed_font_is_found_without_configuration(settings, monkeypatch, tmp_path: Path):
    settings.YIWANG_PDF_FONT = ""
    installed = make_cjk_truetype(tmp_path / "installed.ttf", CJK)
    latin_only = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    monkeypatch.setattr(
        pdf, "FONT_CANDIDATES", ((str(tmp_path / "absent.ttc"), 0), (str(latin_only), 0), (str(installed), 0))
    )
    assert _fonts(_notice(), tmp_path)[0][1] == "TrueType"

    monkeypatch.setattr(pdf, "FONT_CANDIDATES", ((str(tmp_path / "absent.ttc"), 0), (str(latin_only), 0)))
    assert _fonts(_notice(), tmp_path)[0][0] == "STSong-Light"


def test_configured_font_without_chinese_glyphs_is_refused(settings):
    settings.YIWANG_PDF_FONT = str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")
    with pytest.raises(ImproperlyConfigured, match="不含中文字形"):
        _notice()


def test_configured_postscript_outline_font_is_refused_with_a_hint(settings, tmp_path: Path):
    cff = tmp_path / "NotoSansCJK-Regular.otf"
    cff.write_bytes(b"OTTO" + b"\0" * 256)  # the signature of an OpenType font with CFF outlines
    settings.YIWANG_PDF_FONT = str(cff)
    with pytest.raises(ImproperlyConfigured, match="Noto CJK"):
        _notice()


def test_configured_font_that_does_not_exist_is_refused(settings, tmp_path: Path):
    settings.YIWANG_PDF_FONT = str(tmp_path / "nowhere.ttf")
    with pytest.raises(ImproperlyConfigured, match="无法加载"):
        _notice()


def test_notice_needs_a_title_and_an_issuer(builtin_font):
    with pytest.raises(ValueError):
        _notice(title=" ")
    assert os.environ.get("YIWANG_PDF_FONT", "") in ("", "builtin")  # the suite does not depend on a font
