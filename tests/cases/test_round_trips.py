"""A submission's and a transition's last writes leave together: on PostgreSQL the materials and their
upload links, the event, its audit row and the case's update are sent in pipeline mode (one round trip,
``core.prepared.writes_together``) while the case-number counter or the case row is locked; on SQLite,
where nothing crosses a network, they run one by one. Either way they are written, in that order, and the
event's id is set."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from yiwang.audit.models import AuditEvent
from yiwang.cases import services
from yiwang.cases.choices import AcceptMode
from yiwang.cases.models import Case, CaseEvent
from yiwang.core import clock
from yiwang.testing.cases import valid_form

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def _writes(run):
    """(statement's first words and table, sent in pipeline mode) for each statement ``run`` makes."""
    seen: list[tuple[str, bool]] = []

    def wrapper(execute, sql, params, many, context):
        pipelined = connection.vendor == "postgresql" and connection.connection.pgconn.pipeline_status != 0
        words = sql.replace("INSERT OR IGNORE", "INSERT").split()  # SQLite's way to skip a conflict
        table = words[2] if words[0] in ("INSERT", "UPDATE") and words[1] == "INTO" else words[1]
        seen.append((f"{words[0]} {table.strip(chr(34))}", pipelined))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        result = run()
    return result, seen


def test_a_submission_and_an_acceptance_send_their_last_writes_together(world, person_item, upload_for, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)
    citizen = world.users["citizen_owner"]
    upload = upload_for()
    case, submit = _writes(
        lambda: services.case_submit(
            actor=citizen, item_id=person_item.pk, form=valid_form(), materials={"premises": [upload.pk]}
        )
    )
    together = connection.vendor == "postgresql"
    tail = [s for s in submit if s[0].startswith("INSERT") and "casenumbercounter" not in s[0]][1:]  # after the case
    assert tail[:4] == [
        ("INSERT cases_casematerial", together),
        ("INSERT cases_casematerial_uploads", together),  # finds the material rows itself: no ids needed
        ("INSERT cases_caseevent", together),
        ("INSERT audit_auditevent", together),
    ]
    assert list(case.materials.get(code="premises").uploads.values_list("pk", flat=True)) == [upload.pk]
    assert ("INSERT cases_case", False) in submit  # the case's own insert is answered: its id is needed
    _, accept = _writes(
        lambda: services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.DEFERRED)
    )
    at = accept.index(("INSERT cases_caseevent", together))
    mine = [s for s in accept[at:] if s[0] in ("INSERT audit_auditevent", "UPDATE cases_case")][:2]
    assert mine == [("INSERT audit_auditevent", together), ("UPDATE cases_case", together)]
    assert not any(pipelined for _, pipelined in accept[:at])  # the lock and the reads before are answered at once
    rated = [s for s in accept if s[0] == "INSERT evaluations_serviceevent"]
    assert rated == [("INSERT evaluations_serviceevent", False)]  # 受理 is rated (好差评): the event's receiver ran
    if together:  # one block; the receiver (post_save) ran after it, outside pipeline mode, in its own savepoint
        assert accept[at + 1 : at + 3] == mine
        assert accept.index(rated[0]) > at + 2
    stored = Case.objects.get(pk=case.pk)
    events = list(CaseEvent.objects.filter(case=stored).order_by("seq"))
    assert [e.action for e in events] == ["submit", "accept"] and stored.last_event_seq == 2
    assert stored.state == "handling" and stored.legal_due is not None
    assert AuditEvent.objects.filter(action="case.accept", object_id=str(case.pk)).count() == 1
    assert all(e.pk is not None for e in events)
