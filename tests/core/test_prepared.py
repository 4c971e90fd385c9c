"""``core.prepared``: a queryset compiled once gives the very rows the queryset itself gives, on both
databases, and refuses what it cannot prepare safely."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import F
from django.db.transaction import TransactionManagementError

from yiwang.cases import services
from yiwang.cases.choices import AcceptMode
from yiwang.cases.models import Case
from yiwang.core import clock
from yiwang.core.prepared import PreparedQuery
from yiwang.files.services import upload_create
from yiwang.regions.models import Department
from yiwang.testing.cases import published_item, valid_form

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def _case_with_dates(world, item, monkeypatch) -> Case:
    monkeypatch.setattr(clock, "now", lambda: MONDAY)
    citizen = world.users["citizen_owner"]
    upload = upload_create(actor=citizen, name="材料.pdf", data=b"%PDF-1.4\n%%EOF\n")
    case = services.case_submit(actor=citizen, item_id=item.pk, form=valid_form(), materials={"premises": [upload.pk]})
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.DEFERRED)
    return Case.objects.get(pk=case.pk)


def test_rows_equal_the_querysets_rows_field_by_field_with_converted_annotations(world, monkeypatch):
    case = _case_with_dates(world, published_item(world.dept_a_market), monkeypatch)

    def build(case_id):
        return Case.objects.annotate(
            path=F("department__region__path"), until=F("legal_due"), created=F("submitted_at")
        ).filter(pk=case_id)

    prepared = PreparedQuery(build)
    (got,) = prepared.rows(case.pk)
    (expected,) = build(case.pk)
    for field in Case._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(expected, field.attname), field.attname
    assert (got.path, got.until, got.created) == (expected.path, expected.until, expected.created)
    assert isinstance(got.until, dt.date) and got.until == dt.date(2026, 3, 30)  # a date, not SQLite's text
    assert got._state.adding is False and got._state.db == "default"
    assert prepared.rows(case.pk + 10_000) == []  # compiled SQL, other argument: no row


def test_two_arguments_take_their_own_places(world):
    prepared = PreparedQuery(lambda low, high: Department.objects.filter(pk__gte=low, pk__lte=high).order_by("pk"), 2)
    ids = list(Department.objects.order_by("pk").values_list("pk", flat=True))
    assert [d.pk for d in prepared.rows(ids[1], ids[2])] == ids[1:3]
    assert [d.pk for d in prepared.rows(ids[0], ids[-1])] == ids


def test_a_constant_parameter_is_refused_when_compiling(world):
    prepared = PreparedQuery(lambda pk: Department.objects.filter(pk=pk, name="固定"))
    with pytest.raises(ValueError, match="placeholders only"):
        prepared.rows(1)


@pytest.mark.django_db(transaction=True)  # autocommit outside the block, as in production
def test_a_locking_query_outside_a_transaction_is_refused_like_djangos(world):
    first = Department.objects.order_by("pk").first()
    prepared = PreparedQuery(lambda pk: Department.objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert [d.pk for d in prepared.rows(first.pk)] == [first.pk]
    with pytest.raises(TransactionManagementError):
        prepared.rows(first.pk)


def test_row_insert_stores_what_save_stores_and_sends_the_same_signals(world):
    from django.db.models.signals import post_save, pre_save

    from yiwang.audit.models import AuditEvent
    from yiwang.core.prepared import row_insert

    seen: list[tuple[str, bool | None, int | None]] = []

    def on_pre(sender, instance, **kwargs):
        seen.append(("pre", None, instance.pk))

    def on_post(sender, instance, created, **kwargs):
        seen.append(("post", created, instance.pk))

    pre_save.connect(on_pre, sender=AuditEvent)
    post_save.connect(on_post, sender=AuditEvent)
    try:
        ours = row_insert(AuditEvent(action="test.one", changes={"名称": ["甲", "乙"]}, ip="127.0.0.1"))
        theirs = AuditEvent(action="test.one", changes={"名称": ["甲", "乙"]}, ip="127.0.0.1")
        theirs.save(force_insert=True)
    finally:
        pre_save.disconnect(on_pre, sender=AuditEvent)
        post_save.disconnect(on_post, sender=AuditEvent)
    assert ours.pk is not None and ours.pk != theirs.pk and ours._state.adding is False
    assert seen == [("pre", None, None), ("post", True, ours.pk), ("pre", None, None), ("post", True, theirs.pk)]
    stored, saved = AuditEvent.objects.get(pk=ours.pk), AuditEvent.objects.get(pk=theirs.pk)
    for field in ("action", "changes", "ip", "actor_id", "purpose", "seq"):
        assert getattr(stored, field) == getattr(saved, field), field
    assert stored.occurred_at == ours.occurred_at  # the default, set when the object was made


def test_row_update_writes_only_the_named_fields_and_refuses_a_vanished_row(world):
    from django.db import DatabaseError
    from django.db.models import F

    from yiwang.core.prepared import row_update

    department = Department.objects.order_by("pk").first()
    other = Department.objects.get(pk=department.pk)
    department.name, department.short_name = "改名后的部门", "不应写入"
    row_update(department, ["name"])
    fresh = Department.objects.get(pk=department.pk)
    assert (fresh.name, fresh.short_name) == ("改名后的部门", other.short_name)
    department.name = F("short_name")
    with pytest.raises(ValueError, match="plain values"):
        row_update(department, ["name"])
    gone = Department(pk=department.pk + 10_000, name="不存在")
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        row_update(gone, ["name"])


def test_select_related_models_are_built_as_the_querysets_are_without_a_query(world, django_assert_num_queries):
    def build(pk):
        return Department.objects.select_related("region", "region__parent").filter(pk=pk)

    department = Department.objects.filter(region__parent__isnull=False).order_by("pk").first()
    (expected,) = build(department.pk)
    prepared = PreparedQuery(build)
    prepared.rows(department.pk)  # compiled outside the count
    with django_assert_num_queries(1):  # the row, with its region and the region's parent: nothing lazy
        (got,) = prepared.rows(department.pk)
        assert (got.region.pk, got.region.path) == (expected.region.pk, expected.region.path)
        assert (got.region.parent.pk, got.region.parent.name) == (
            expected.region.parent_id,
            expected.region.parent.name,
        )


def test_row_insert_skipping_conflicts_writes_nothing_and_keeps_the_transaction_usable(world):
    from django.db.models.signals import post_save

    from yiwang.core.prepared import row_insert
    from yiwang.regions.models import Region

    county = world.county_a
    posted: list[int] = []

    def on_post(sender, instance, **kwargs):
        posted.append(instance.pk)

    post_save.connect(on_post, sender=Region)
    try:
        with transaction.atomic():  # no savepoint inside: a skipped row raises nothing to roll back
            twin = Region(
                code=county.code, name="重复的区划", level=county.level, parent=county.parent, path=county.path
            )
            assert row_insert(twin, skip_conflicts=True) is None
            assert twin.pk is None
            fresh = Region(
                code="990000000000", name="新区划", level=county.level, parent=county.parent, path="/990000000000/"
            )
            assert row_insert(fresh, skip_conflicts=True) is fresh and fresh.pk is not None
    finally:
        post_save.disconnect(on_post, sender=Region)
    assert posted == [fresh.pk]  # post_save only for the row written
    assert Region.objects.filter(code=county.code).count() == 1
    assert Region.objects.get(code="990000000000").name == "新区划"


def test_rows_insert_stores_what_bulk_create_stores_in_one_statement(world, django_assert_num_queries):
    from yiwang.audit.models import AuditEvent
    from yiwang.core.prepared import rows_insert

    def events(tag):
        return [AuditEvent(action=f"test.{tag}", changes={"序号": n}, ip="127.0.0.1") for n in range(3)]

    ours = events("ours")
    with django_assert_num_queries(1):
        assert rows_insert(ours) == ours
    theirs = AuditEvent.objects.bulk_create(events("theirs"))
    assert [e.pk for e in ours] == sorted(e.pk for e in ours) and all(not e._state.adding for e in ours)
    stored = list(AuditEvent.objects.filter(action="test.ours").order_by("pk"))
    saved = list(AuditEvent.objects.filter(action="test.theirs").order_by("pk"))
    assert [e.pk for e in stored] == [e.pk for e in ours]
    for mine, reference in zip(stored, saved, strict=True):
        for field in ("changes", "ip", "actor_id", "purpose", "seq"):
            assert getattr(mine, field) == getattr(reference, field), field
    assert len(theirs) == 3 and rows_insert([]) == []
    with pytest.raises(ValueError, match="new instances of one model"):
        rows_insert([stored[0]])


def test_a_text_argument_takes_its_place_too(world):
    from yiwang.regions.models import Region

    prepared = PreparedQuery(lambda code: Region.objects.filter(code=code).only("pk").order_by()[:1])
    county = world.county_a
    assert [r.pk for r in prepared.rows(county.code)] == [county.pk]
    assert prepared.rows("000000") == []


def test_a_prepared_delete_removes_what_the_queryset_selects_and_refuses_cascades(world):
    from yiwang.audit.models import AuditEvent
    from yiwang.core.prepared import PreparedDelete, rows_insert
    from yiwang.regions.models import Region

    rows_insert([AuditEvent(action=f"test.del.{n % 2}", ip="127.0.0.1") for n in range(5)])
    prepared = PreparedDelete(lambda action: AuditEvent.objects.filter(action=action))
    assert prepared.run("test.del.0") == 3
    assert prepared.run("test.del.0") == 0
    assert list(AuditEvent.objects.filter(action__startswith="test.del.").values_list("action", flat=True)) == [
        "test.del.1",
        "test.del.1",
    ]
    cascading = PreparedDelete(lambda pk: Region.objects.filter(pk=pk))  # departments and sub-regions hang on it
    with pytest.raises(ValueError, match="deletes fast"):
        cascading.run(world.county_a.pk)
    assert Region.objects.filter(pk=world.county_a.pk).exists()


def test_a_small_integer_argument_compiles_and_a_constant_equal_to_a_stand_in_is_refused(world, monkeypatch):
    from yiwang.cases.models import CaseStep
    from yiwang.core.prepared import _STAND_IN_BASES

    case = _case_with_dates(world, published_item(world.dept_a_market), monkeypatch)
    # block is a PositiveSmallIntegerField: a stand-in beyond 32,767 would have compiled to no SQL at all
    prepared = PreparedQuery(lambda case_id, block: CaseStep.objects.filter(case_id=case_id, block=block), 2)
    expected = list(CaseStep.objects.filter(case_id=case.pk, block=case.current_block).values_list("pk", flat=True))
    assert expected and [s.pk for s in prepared.rows(case.pk, case.current_block)] == expected
    assert prepared.rows(case.pk, 0) == []
    # A constant that happens to equal the first stand-in moves with neither compilation: refused, not
    # mistaken for the argument.
    lookalike = PreparedQuery(lambda case_id: CaseStep.objects.filter(case_id=case_id, block=_STAND_IN_BASES[0]))
    with pytest.raises(ValueError, match="placeholders only"):
        lookalike.rows(case.pk)


def test_a_prepared_update_stores_what_update_stores_and_refuses_what_it_cannot_prepare(world, monkeypatch):
    from yiwang.cases.choices import StepState
    from yiwang.cases.models import CaseStep
    from yiwang.core.prepared import PreparedUpdate

    item = published_item(world.dept_a_market)
    ours, theirs = (_case_with_dates(world, item, monkeypatch) for _ in range(2))
    approver = world.users["approver_a"]
    finished = dt.datetime(2026, 3, 3, 8, 30, tzinfo=dt.UTC)
    values = {"state": StepState.DONE, "finished_at": finished, "finished_by": approver, "opinion": "同意"}
    prepared = PreparedUpdate(
        lambda case_id, state: CaseStep.objects.filter(case_id=case_id, state=state), tuple(values), arity=2
    )
    open_steps = CaseStep.objects.filter(case_id=ours.pk, state=StepState.OPEN).count()
    assert open_steps >= 1
    assert prepared.run(ours.pk, StepState.OPEN, values=values) == open_steps
    assert CaseStep.objects.filter(case_id=theirs.pk, state=StepState.OPEN).update(**values) == open_steps
    columns = ("position", "state", "finished_at", "finished_by_id", "opinion")
    mine = list(CaseStep.objects.filter(case_id=ours.pk).order_by("position").values_list(*columns))
    reference = list(CaseStep.objects.filter(case_id=theirs.pk).order_by("position").values_list(*columns))
    assert mine == reference and (1, StepState.DONE, finished, approver.pk, "同意") in mine
    assert prepared.run(ours.pk, StepState.OPEN, values=values) == 0  # none left open

    with pytest.raises(ValueError, match="exactly the values"):
        prepared.run(ours.pk, StepState.OPEN, values={"state": StepState.DONE})
    joined = PreparedUpdate(lambda number: CaseStep.objects.filter(case__number=number), ("opinion",))
    with pytest.raises(ValueError, match="no joins"):
        joined.run(ours.number, values={"opinion": "x"})
    with pytest.raises(ValueError, match="non-key fields"):
        PreparedUpdate(lambda pk: CaseStep.objects.filter(pk=pk), ("id",)).run(1, values={"id": 2})
    assert CaseStep.objects.filter(case_id=ours.pk, opinion="x").count() == 0


def test_row_values_are_what_get_db_prep_save_gives_column_by_column(world, monkeypatch):
    """The values a row write hands over unconverted are exactly what the fields would have made of them,
    type included (psycopg's typed integers on PostgreSQL, the text of a date on SQLite)."""
    from django.db import connection

    from yiwang.audit.models import AuditEvent
    from yiwang.cases.models import CaseEvent, CaseMaterial, CaseStep
    from yiwang.core.prepared import _row_values, _write_sql

    case = _case_with_dates(world, published_item(world.dept_a_market), monkeypatch)
    rows = [
        case,
        *CaseStep.objects.filter(case=case),
        *CaseMaterial.objects.filter(case=case),
        *CaseEvent.objects.filter(case=case),
        AuditEvent.objects.order_by("-pk").first(),
    ]
    compared = 0
    for row in rows:
        _, columns = _write_sql("default", type(row), ())
        ours = _row_values(columns, row, False, connection)
        for (field, _types, _any_str), value in zip(columns, ours, strict=True):
            if getattr(field, "auto_now", False):  # a new timestamp on each pre_save
                continue
            expected = field.get_db_prep_save(field.pre_save(row, False), connection)
            # psycopg's Jsonb wrapper has no equality of its own: compare what it wraps
            assert (type(value), getattr(value, "obj", value)) == (
                type(expected),
                getattr(expected, "obj", expected),
            ), f"{type(row).__name__}.{field.name}"
            compared += 1
    assert compared > 100


def test_writes_together_store_every_write_and_set_ids_and_signals_at_the_blocks_end(world):
    from django.db import connection
    from django.db.models.signals import post_save

    from yiwang.audit.models import AuditEvent
    from yiwang.core.prepared import row_insert, row_update, rows_insert, writes_together

    department = Department.objects.order_by("pk").first()
    posted: list[tuple[str, int | None]] = []

    def on_post(sender, instance, **kwargs):
        posted.append((sender.__name__, instance.pk))

    post_save.connect(on_post, sender=AuditEvent)
    post_save.connect(on_post, sender=Department)
    try:
        with transaction.atomic(), writes_together():
            one = row_insert(AuditEvent(action="test.together", changes={"序号": 1}, ip="127.0.0.1"))
            many = rows_insert([AuditEvent(action="test.together", changes={"序号": n}) for n in (2, 3)])
            department.name = "一起写入的部门"
            row_update(department, ["name"])
            pipelined = connection.vendor == "postgresql"
            if pipelined:  # sent, not yet answered: psycopg is in pipeline mode and no id has come back
                assert connection.connection.pgconn.pipeline_status != 0
                assert (one.pk, [e.pk for e in many], posted) == (None, [None, None], [])
            else:  # SQLite: nothing changes, each write is done at once
                assert one.pk is not None and posted == [("AuditEvent", one.pk), ("Department", department.pk)]
            with writes_together():  # a nested block joins the outer one
                nested = row_insert(AuditEvent(action="test.together", changes={"序号": 4}))
            assert (nested.pk is None) is pipelined
    finally:
        post_save.disconnect(on_post, sender=AuditEvent)
        post_save.disconnect(on_post, sender=Department)
    assert all(e.pk is not None and not e._state.adding for e in (one, *many, nested))
    assert posted == [("AuditEvent", one.pk), ("Department", department.pk), ("AuditEvent", nested.pk)]
    stored = list(AuditEvent.objects.filter(action="test.together").order_by("pk"))
    assert [(e.pk, e.changes["序号"]) for e in stored] == [
        (one.pk, 1),
        (many[0].pk, 2),
        (many[1].pk, 3),
        (nested.pk, 4),
    ]
    assert Department.objects.get(pk=department.pk).name == "一起写入的部门"
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == 0  # back to normal mode


def test_a_refused_write_together_raises_djangos_error_and_the_transaction_rolls_back_whole(world):
    from django.db import DatabaseError, IntegrityError

    from yiwang.audit.models import AuditEvent
    from yiwang.core.prepared import row_insert, row_update, writes_together
    from yiwang.regions.models import Region

    county = world.county_a
    before = AuditEvent.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic(), writes_together():
        row_insert(AuditEvent(action="test.rolled_back", changes={}))
        row_insert(Region(code=county.code, name="重复的区划", level=county.level, parent=county.parent, path="/x/"))
        row_insert(AuditEvent(action="test.rolled_back", changes={}))
    assert AuditEvent.objects.count() == before  # nothing of the block was kept
    assert Region.objects.filter(code=county.code).count() == 1
    gone = Department(pk=Department.objects.order_by("-pk").first().pk + 10_000, name="不存在")
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic(), writes_together():
        row_insert(AuditEvent(action="test.rolled_back", changes={}))
        row_update(gone, ["name"])
    with pytest.raises(RuntimeError, match="服务出错"), transaction.atomic(), writes_together():
        row_insert(AuditEvent(action="test.rolled_back", changes={}))
        raise RuntimeError("服务出错")
    assert AuditEvent.objects.filter(action="test.rolled_back").count() == 0
    assert Department.objects.filter(pk=gone.pk).count() == 0  # and the connection still answers


@pytest.mark.django_db(transaction=True)  # autocommit outside the block, as in production
def test_writes_together_outside_a_transaction_are_refused(world):
    from yiwang.core.prepared import writes_together

    with pytest.raises(TransactionManagementError, match="inside a transaction"), writes_together():
        pass


def test_sql_write_goes_with_the_block_sees_its_earlier_writes_and_raises_a_refusal_at_its_end(world):
    from django.db import IntegrityError, connection

    from yiwang.audit.models import AuditEvent
    from yiwang.core.prepared import row_insert, sql_write, writes_together

    quote = connection.ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    fields = [f for f in AuditEvent._meta.local_concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    picked = ", ".join("%s" if f.name == "action" else quote(f.column) for f in fields)
    copy = f"INSERT INTO {table} ({columns}) SELECT {picked} FROM {table} WHERE {quote('action')} = %s"
    with transaction.atomic(), writes_together():  # an INSERT … SELECT of the row inserted just before it
        row_insert(AuditEvent(action="test.sql_write", changes={"序号": 1}))
        sql_write(copy, ["test.sql_write.copy", "test.sql_write"])
        if connection.vendor == "postgresql":  # sent, not answered yet
            assert connection.connection.pgconn.pipeline_status != 0
    copied = AuditEvent.objects.get(action="test.sql_write.copy")
    assert copied.changes == {"序号": 1}
    key = quote("id")
    again = f"INSERT INTO {table} ({key}, {columns}) SELECT {key}, {picked} FROM {table} WHERE {key} = %s"
    with pytest.raises(IntegrityError), transaction.atomic(), writes_together():  # the same id twice
        row_insert(AuditEvent(action="test.sql_write.refused", changes={}))
        sql_write(again, ["test.sql_write.again", copied.pk])
    assert not AuditEvent.objects.filter(action__startswith="test.sql_write.re").exists()  # rolled back whole
    assert not AuditEvent.objects.filter(action="test.sql_write.again").exists()
