"""The audit log: append-only rows, sealed into a SHA-256 chain in batches, verified end to end."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from yiwang.audit.models import AuditChainHead, AuditEvent, AuditSealBatch
from yiwang.audit.selectors import audit_verify
from yiwang.audit.services import GENESIS_HASH, audit_seal, chain_hash, record
from yiwang.audit.tasks import audit_seal_task
from yiwang.core.management.commands.worker import enqueue_seal_if_needed

pytestmark = pytest.mark.django_db


def _write(n: int, start: int = 0) -> list[AuditEvent]:
    return [
        record(actor=None, action="test.write", object_type="test.thing", object_id=str(i), changes={"n": [None, i]})
        for i in range(start, start + n)
    ]


def test_record_does_not_touch_the_chain():
    rows = _write(3)
    assert [r.seq for r in rows] == [None, None, None]
    assert not AuditChainHead.objects.exists()  # writers never read or lock the chain end


def test_seal_chains_rows_in_insertion_order():
    rows = _write(5)
    assert audit_seal(batch_size=2) == 5
    sealed = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in sealed] == [1, 2, 3, 4, 5]
    assert [r.pk for r in sealed] == [r.pk for r in rows]
    assert sealed[0].prev_hash == GENESIS_HASH
    for prev, row in itertools.pairwise(sealed):
        assert row.prev_hash == prev.hash
        assert row.hash == chain_hash(prev.hash, row)
    assert AuditSealBatch.objects.count() == 3  # batches of 2, 2, 1
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (5, sealed[-1].hash)


def test_verify_reports_counts_of_checked_and_unsealed_rows():
    _write(4)
    audit_seal()
    _write(2, start=4)
    report = audit_verify()
    assert report.ok
    assert (report.checked, report.unsealed) == (4, 2)
    assert "已校验 4 条" in report.describe()


def test_a_row_altered_with_raw_sql_is_named_by_verify():
    rows = _write(6)
    audit_seal()
    target = rows[3]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET purpose = %s WHERE id = %s", ["篡改", target.pk])
    report = audit_verify()
    assert not report.ok
    assert report.broken_id == target.pk
    assert report.broken_seq == 4
    assert report.checked == 3
    assert "被修改" in report.reason


def test_a_deleted_row_leaves_a_gap_that_verify_finds():
    rows = _write(5)
    audit_seal()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [rows[2].pk])
    report = audit_verify()
    assert not report.ok
    assert report.broken_seq == 3
    assert "删除" in report.reason


def test_a_truncated_tail_is_detected_by_the_head():
    rows = _write(5)
    audit_seal()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [rows[-1].pk])
    report = audit_verify()
    assert not report.ok
    assert "截断" in report.reason


def test_a_rehashed_forgery_is_still_caught_by_the_seal_checkpoint():
    rows = _write(3)
    audit_seal()
    forged = AuditEvent.objects.get(pk=rows[2].pk)
    forged.purpose = "伪造"
    new_hash = chain_hash(forged.prev_hash, forged)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET purpose = %s, hash = %s WHERE id = %s", ["伪造", new_hash, forged.pk]
        )
    report = audit_verify()
    assert not report.ok
    assert report.broken_id == forged.pk


def test_verify_command_exits_non_zero_and_names_the_row():
    rows = _write(3)
    audit_seal()
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "审计链完整" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["x", rows[1].pk])
    with pytest.raises(CommandError, match=f"id={rows[1].pk}"):
        call_command("audit", "verify")


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks, as in production
def test_seal_runs_as_a_real_task_through_the_database_worker():
    _write(4)
    assert enqueue_seal_if_needed() is True
    assert enqueue_seal_if_needed() is False  # one queued seal is enough
    queued = DBTaskResult.objects.get(task_path=audit_seal_task.module_path)
    assert queued.status == "READY"
    call_command("db_worker", batch=True, no_startup_delay=True, interval=0)
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    assert queued.return_value == 4
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    assert enqueue_seal_if_needed() is False  # nothing left to seal


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_sealers_produce_one_unbroken_chain():
    import threading

    from django.db import connections

    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(20):
                record(actor=None, action="test.concurrent", object_id=str(offset + i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def sealer() -> None:
        try:
            for _ in range(5):
                audit_seal(batch_size=7)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(3)]
    threads += [threading.Thread(target=sealer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    audit_seal()
    report = audit_verify()
    assert report.ok, report.describe()
    assert report.checked == 60
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 61))
