"""文书 as PDF: one rendering of a stored notice, whichever door asks (portal, workbench, API).

Rendered from the notice's stored columns, so the PDF never differs from what was issued. The services
open the text with the addressee line (``<申请人>：``); the PDF prints the addressee itself (主送).
"""

from __future__ import annotations

from django.utils import timezone

from yiwang.cases.choices import NoticeKind
from yiwang.cases.models import Case, CaseNotice
from yiwang.core.pdf import render_notice

ITEMS_TITLE = {
    NoticeKind.SUPPLEMENT: "需要补正的材料及问题：",
    NoticeKind.ACCEPTANCE: "容缺后补的材料：",
}


def notice_pdf(*, case: Case, notice: CaseNotice) -> bytes:
    """The notice of ``case`` as an A4 PDF (GB/T 9704-like), with the case number and the 咨询电话."""
    paragraphs = list(notice.paragraphs or [])
    if paragraphs and paragraphs[0].strip() == f"{case.applicant_name}：":
        paragraphs = paragraphs[1:]
    consult = (case.version.content.get("contacts") or {}).get("consult", "")
    footer = f"办件编号：{case.number}" + (f"　咨询电话：{consult}" if consult else "")
    return render_notice(
        title=NoticeKind(notice.kind).label,
        number=notice.number,
        addressee=case.applicant_name,
        paragraphs=paragraphs,
        items=list(notice.items or []),
        items_title=ITEMS_TITLE.get(NoticeKind(notice.kind), "告知事项：") if notice.items else "",
        issuer=case.department.name,
        issued_on=timezone.localdate(notice.issued_at),
        footer=footer,
    )
