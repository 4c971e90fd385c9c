"""Querysets compiled once and run many times, and single-row writes with SQL built once: for the few
statements every transition makes (the case row under its lock, its event and audit rows, the case's
update), where building the SQL costs several times what running it does.

Django compiles a queryset to SQL on every evaluation; for a wide row with joins that is most of the
request's database time on SQLite (``bench/lifecycle.py``). ``PreparedQuery`` asks Django's own compiler
once per database vendor for the SQL, the column layout and the value converters of a queryset built with
placeholder arguments, then runs that SQL with the real arguments and builds the rows as ``ModelIterable``
does (``Model.from_db``, Django's own populators for ``select_related`` models, the annotations). The
queryset stays the single definition: what it selects, how it locks and how each column is converted are
Django's, not ours.

Only queries whose parameters are all placeholders may be prepared (checked when compiling, twice, with
two sets of stand-ins), so a constant can never be baked into the cached SQL by mistake.
``PreparedDelete`` and ``PreparedUpdate`` are ``queryset.delete()`` (when Django deletes fast) and
``queryset.update(**values)`` the same way: the filter compiled once by Django, the values converted
by their fields on every run.

``row_insert`` and ``row_update`` are ``save(force_insert=True)`` and ``save(update_fields=…)`` for one
row: every value still goes through the field's ``pre_save`` and ``get_db_prep_save`` (defaults,
``auto_now``, JSON encoders, time zones), and ``pre_save`` / ``post_save`` are sent as ``save`` sends them,
so receivers (好差评's case-event hook) see no difference. Only the SQL text is cached.

``writes_together`` sends the writes of a block in one round trip on PostgreSQL (psycopg's pipeline mode):
a transition's last writes — its event, its audit row, the case's update — while the case row stays locked.
``sql_write`` adds a statement of the caller's own SQL to such a block.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, overload

from django.core.exceptions import FullResultSet
from django.db import DatabaseError, connections, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.constants import OnConflict
from django.db.models.deletion import Collector
from django.db.models.query import get_related_populators
from django.db.models.sql import DeleteQuery, UpdateQuery
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Compiled:
    model: type[models.Model]
    sql: str
    locks: bool  # SELECT … FOR UPDATE: only inside a transaction, as Django itself insists
    positions: tuple[int, ...]  # for each SQL parameter, the index of the argument it takes
    model_start: int
    model_end: int
    attnames: tuple[str, ...]
    annotations: tuple[tuple[str, int], ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]  # (column, functions, expression)
    populators: tuple[Any, ...]  # Django's RelatedPopulator of each select_related() model


class Placeholder(int):
    """An argument stand-in while compiling, recognisable in the params (as itself, as the plain int an
    integer field's lookup made of it, or as its digits where a text field's lookup made a string of it)."""


# Two sets of stand-ins, each within every integer field's range (Django compiles a literal beyond the
# column's range, say past a PositiveSmallIntegerField's 32,767, into no SQL at all). A query is compiled
# with both: an argument moves with its stand-in, while a constant that happens to equal one stays put,
# so the two compilations disagree and the constant is refused instead of being taken for an argument.
_STAND_IN_BASES = (30_001, 31_001)
_MAX_ARITY = 500  # the two sets never overlap, and stay below 32,767


def _stand_ins(arity: int, base: int) -> list[Placeholder]:
    if not 0 < arity <= _MAX_ARITY:
        raise ValueError(f"a prepared statement takes 1 to {_MAX_ARITY} arguments")
    return [Placeholder(base + i) for i in range(arity)]


def _positions(params: Sequence[Any], stand_ins: Sequence[Placeholder]) -> tuple[int, ...]:
    """For each SQL parameter, the index of the argument it takes; a parameter that is no stand-in is refused."""
    positions = []
    for value in params:
        # A text column's lookup turns the stand-in into its digits ("30001"): still ours.
        index = next((i for i, s in enumerate(stand_ins) if value is s or value in (s, str(s))), None)
        if index is None:
            raise ValueError(f"a prepared query may take placeholders only, not {value!r}")
        positions.append(index)
    return tuple(positions)


C = TypeVar("C")


class _Prepared(Generic[C]):
    """What a prepared statement keeps: ``build`` and, per database alias, what compiling it gave."""

    def __init__(self, build: Callable[..., models.QuerySet[Any]], arity: int = 1) -> None:
        self._build = build
        self._arity = arity
        self._compiled: dict[str, C] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> C:
        with self._lock:
            found = self._compiled.get(alias)
            if found is None:
                first, second = (_stand_ins(self._arity, base) for base in _STAND_IN_BASES)
                found = self._compile_queryset(self._build(*first), first, alias)
                again = self._compile_queryset(self._build(*second), second, alias)
                if self._shape(found) != self._shape(again):
                    raise ValueError("a prepared statement must compile to the same SQL whatever its arguments")
                self._compiled[alias] = found
            return found

    def _compile_queryset(self, queryset: models.QuerySet[Any], stand_ins: list[Placeholder], alias: str) -> C:
        raise NotImplementedError

    def _shape(self, compiled: C) -> tuple[str, tuple[int, ...]]:
        """The SQL and the argument positions of what compiling gave (the same for any stand-ins)."""
        raise NotImplementedError


class PreparedQuery(_Prepared[_Compiled], Generic[M]):
    """``PreparedQuery(lambda pk: Case.objects.filter(pk=pk)[:1])`` — ``.rows(case_id)`` runs it.

    ``build`` receives one ``Placeholder`` per argument and returns the queryset; it is called once per
    database alias (the SQL differs by vendor), under a lock so two threads never compile it twice.
    """

    def __init__(self, build: Callable[..., models.QuerySet[M]], arity: int = 1) -> None:
        super().__init__(build, arity)

    def _compile_queryset(self, queryset: models.QuerySet[Any], stand_ins: list[Placeholder], alias: str) -> _Compiled:
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        klass_info = compiler.klass_info
        if klass_info is None:
            raise ValueError("a prepared query selects model rows")
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        return _Compiled(
            model=queryset.model,
            sql=sql,
            locks=queryset.query.select_for_update,
            positions=_positions(params, stand_ins),
            model_start=start,
            model_end=end,
            attnames=tuple(column[0].target.attname for column in compiler.select[start:end]),
            annotations=tuple(compiler.annotation_col_map.items()),
            converters=tuple(
                (position, tuple(functions), expression)
                for position, (functions, expression) in compiler.get_converters(fields).items()
            ),
            # (django-stubs describes a newer Django that adds a fetch_mode argument; 5.2 takes three)
            populators=tuple(get_related_populators(klass_info, compiler.select, alias)),  # type: ignore[call-arg]
        )

    def _shape(self, compiled: _Compiled) -> tuple[str, tuple[int, ...]]:
        return compiled.sql, compiled.positions

    def rows(self, *arguments: Any, using: str = "default") -> list[M]:
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = [arguments[i] for i in compiled.positions]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        model = compiled.model
        result = []
        for fetched_row in fetched:
            row = list(fetched_row)
            for position, functions, expression in compiled.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            instance = model.from_db(using, compiled.attnames, row[compiled.model_start : compiled.model_end])
            for populator in compiled.populators:
                populator.populate(row, instance)
            for name, position in compiled.annotations:
                setattr(instance, name, row[position])
            result.append(instance)
        return result  # type: ignore[return-value]


class PreparedDelete(_Prepared[tuple[str, tuple[int, ...]]]):
    """``PreparedDelete(lambda owner: Draft.objects.filter(owner_id=owner))`` — ``.run(user_id)`` deletes
    what the queryset selects, as ``queryset.delete()`` does when Django can delete fast (one ``DELETE``:
    no signals, no cascades to follow, which is checked when compiling), with the SQL compiled once."""

    def _compile_queryset(
        self, queryset: models.QuerySet[Any], stand_ins: list[Placeholder], alias: str
    ) -> tuple[str, tuple[int, ...]]:
        if queryset.query.is_sliced or not Collector(using=alias, origin=queryset).can_fast_delete(queryset):
            raise ValueError("a prepared delete needs rows Django deletes fast (no signals, no cascades)")
        query = queryset.query.chain(DeleteQuery)
        query.select_for_update = query.select_related = False  # as QuerySet.delete() clears them
        query.clear_ordering(force=True)
        sql, params = query.get_compiler(using=alias).as_sql()
        return sql, _positions(params, stand_ins)

    def _shape(self, compiled: tuple[str, tuple[int, ...]]) -> tuple[str, tuple[int, ...]]:
        return compiled

    def run(self, *arguments: Any, using: str = "default") -> int:
        """Delete; the number of rows deleted."""
        sql, positions = self._compiled.get(using) or self._compile(using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [arguments[i] for i in positions])
            return int(cursor.rowcount)


_Column = tuple[Any, frozenset[type], bool]  # a field, and which of its values are stored as they are


class PreparedUpdate(_Prepared[tuple[str, tuple[_Column, ...], tuple[int, ...]]]):
    """``PreparedUpdate(lambda case: Step.objects.filter(case_id=case, state="open"), ("state", "finished_at"))``
    — ``.run(case_id, values={"state": "done", "finished_at": now})`` is ``queryset.update(**values)`` with
    the SQL compiled once: one ``UPDATE`` of the rows the queryset selects, each value prepared as a row
    write prepares it (a model instance for a foreign key gives its id, as ``update`` takes it), no
    signals — as ``update`` sends none. The filter must stay on the model's own table (no joins)."""

    def __init__(self, build: Callable[..., models.QuerySet[Any]], fields: Sequence[str], arity: int = 1) -> None:
        super().__init__(build, arity)
        self._names = tuple(dict.fromkeys(fields))
        if not self._names:
            raise ValueError("a prepared update sets at least one field")

    def _compile_queryset(
        self, queryset: models.QuerySet[Any], stand_ins: list[Placeholder], alias: str
    ) -> tuple[str, tuple[_Column, ...], tuple[int, ...]]:
        meta: Any = queryset.model._meta
        fields = tuple(meta.get_field(name) for name in self._names)
        if queryset.query.is_sliced or any(
            not f.concrete or f.many_to_many or f.primary_key or hasattr(f, "get_placeholder") for f in fields
        ):
            raise ValueError("a prepared update sets concrete, non-key fields of an unsliced queryset")
        query = queryset.query.chain(UpdateQuery)
        if sum(1 for count in query.alias_refcount.values() if count) > 1:
            raise ValueError("a prepared update filters on the model's own table only (no joins)")
        connection: Any = connections[alias]
        sql, columns = _update_sql(connection, meta, fields)
        try:
            where, params = query.get_compiler(using=alias).compile(query.where)
        except FullResultSet:  # no filter: every row
            return sql, columns, ()
        return f"{sql} WHERE {where}", columns, _positions(params, stand_ins)

    def _shape(self, compiled: tuple[str, tuple[_Column, ...], tuple[int, ...]]) -> tuple[str, tuple[int, ...]]:
        return compiled[0], compiled[2]

    def run(self, *arguments: Any, values: Mapping[str, Any], using: str = "default") -> int:
        """Update; the number of rows updated."""
        sql, columns, positions = self._compiled.get(using) or self._compile(using)
        if values.keys() != set(self._names):
            raise ValueError(f"a prepared update takes exactly the values of {', '.join(self._names)}")
        connection = connections[using]
        params = [_column_value(c, _update_value(c[0], values[c[0].name]), connection) for c in columns]
        params.extend(arguments[i] for i in positions)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount)


def _update_value(field: Any, value: Any) -> Any:
    """What ``update`` stores for ``value``: a model instance for a relation becomes its key."""
    if field.remote_field and hasattr(value, "prepare_database_save"):
        return value.prepare_database_save(field)
    return value


# --- writes: one row inserted or updated, with the SQL built once per model (and field list) ------------

_WRITES: dict[tuple[str, type[models.Model], tuple[str, ...], bool, int], tuple[str, tuple[_Column, ...]]] = {}
_WRITES_LOCK = threading.Lock()


def _write_sql(
    alias: str, model: type[models.Model], names: tuple[str, ...], skip_conflicts: bool = False, rows: int = 1
) -> tuple[str, tuple[_Column, ...]]:
    """(SQL, columns) of the insert of ``rows`` rows (``names == ()``) or of the update of ``names``."""
    key = (alias, model, names, skip_conflicts, rows)
    found = _WRITES.get(key)
    if found is not None:
        return found
    connection: Any = connections[alias]
    quote = connection.ops.quote_name
    meta: Any = model._meta  # django-stubs types columns as optional; every concrete field has one
    table = quote(meta.db_table)
    if names:
        sql, columns = _update_sql(connection, meta, tuple(meta.get_field(name) for name in names))
        sql = f"{sql} WHERE {quote(meta.pk.column)} = %s"
    else:
        fields = tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)
        column_list = ", ".join(quote(f.column) for f in fields)
        values = "), (".join([", ".join(["%s"] * len(fields))] * rows)
        on_conflict = OnConflict.IGNORE if skip_conflicts else None
        if skip_conflicts and not connection.features.can_return_columns_from_insert:
            raise ValueError("skip_conflicts needs INSERT … RETURNING to tell a skipped row from a new one")
        insert = connection.ops.insert_statement(on_conflict=on_conflict)  # INSERT OR IGNORE INTO on SQLite
        suffix = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)  # ON CONFLICT DO NOTHING
        sql = f"{insert} {table} ({column_list}) VALUES ({values}) {suffix}".rstrip()
        if connection.features.can_return_columns_from_insert:
            returning, _ = connection.ops.return_insert_columns([meta.pk])
            sql = f"{sql} {returning}"
        columns = _columns(fields, connection)
    with _WRITES_LOCK:
        _WRITES[key] = (sql, columns)
    return sql, columns


def _update_sql(connection: Any, meta: Any, fields: tuple[Any, ...]) -> tuple[str, tuple[_Column, ...]]:
    """``UPDATE table SET col = %s, …`` of ``fields`` (no WHERE yet), and their columns."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    return f"UPDATE {quote(meta.db_table)} SET {assignments}", _columns(fields, connection)  # noqa: S608


def _db_value(field: Any, value: Any, connection: Any) -> Any:
    if hasattr(value, "resolve_expression"):  # F(), Now()…: only the full ORM path compiles expressions
        raise ValueError(f"{field.name}: row_insert / row_update take plain values, not expressions")
    return field.get_db_prep_save(value, connection)


_INTEGER_FIELDS = (
    models.IntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
)
_NONE = type(None)


def _unchanged(field: Any, connection: Any) -> tuple[frozenset[type], bool]:
    """Which values ``field.get_db_prep_save`` returns as they are, on ``connection``: (exact types, whether
    any ``str`` is kept). A row write hands those to the driver without the call (a few µs per column, and
    a case's life cycle writes some three hundred). Only Django's own field classes, read from their code:
    a text field keeps any ``str``, ``TextChoices`` members included (``to_python``); an integer field keeps
    an ``int`` unless the backend adapts integers (psycopg's typed ``Int4`` / ``Int8`` for server-side
    binding); a boolean keeps a ``bool``; a foreign key to an auto id keeps an ``int`` unless the backend
    validates auto ids (MySQL refuses 0). ``None`` is kept by each of them. Any other field, or a value of
    another type (a lazy string, an ``IntegerChoices`` member), takes ``get_db_prep_save`` as before."""
    ops = type(connection.ops)
    kind = type(field)
    if kind in (models.CharField, models.TextField):
        return frozenset({str, _NONE}), True
    if kind is models.BooleanField:
        return frozenset({bool, _NONE}), False
    if kind in _INTEGER_FIELDS and ops.adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value:
        return frozenset({int, _NONE}), False
    if (
        kind is models.ForeignKey
        and type(field.target_field) in (models.AutoField, models.BigAutoField)
        and ops.validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
    ):
        return frozenset({int, _NONE}), False
    return frozenset(), False


def _columns(fields: Sequence[Any], connection: Any) -> tuple[_Column, ...]:
    return tuple((f, *_unchanged(f, connection)) for f in fields)


def _column_value(column: _Column, value: Any, connection: Any) -> Any:
    """``value`` prepared for the database: as it is where ``get_db_prep_save`` would keep it."""
    field, types, any_str = column
    return (
        value if type(value) in types or (any_str and isinstance(value, str)) else _db_value(field, value, connection)
    )


def _row_values(columns: Sequence[_Column], instance: models.Model, add: bool, connection: Any) -> list[Any]:
    """The parameters of one row: each field's ``pre_save`` value, prepared for the database."""
    return [_column_value(c, c[0].pre_save(instance, add), connection) for c in columns]


def _stored(instance: models.Model, new_id: Any, using: str) -> None:
    """What ``save`` leaves on an instance it has just inserted: its id, and its state (not adding, its db)."""
    setattr(instance, instance._meta.pk.attname, new_id)
    instance._state.adding = False
    instance._state.db = using


# --- writes sent together ---------------------------------------------------------------------------------

_PENDING = "_yiwang_pending_writes"  # on Django's connection object, which is per thread
_Finish = Callable[[Any], Any]


@contextlib.contextmanager
def writes_together(using: str = "default") -> Iterator[None]:
    """Send the block's ``row_insert``, ``rows_insert`` and ``row_update`` statements in one round trip.

    On PostgreSQL the block runs in psycopg's pipeline mode: each write goes out without waiting for its
    answer, and one sync at the block's end brings every answer back. Only then — outside pipeline mode, in
    the order of the writes — are the ids set, the "did not affect any rows" checks made and ``post_save``
    sent, so a receiver's savepoint and error handling work as anywhere else. Inside the block a new
    instance has no id yet. A write the database refuses raises at the block's end, as Django's exception
    (``IntegrityError`` …), and the transaction around it rolls back as it would have.

    On SQLite, whose statements never leave the process, the block changes nothing. A nested block joins
    the outer one. Put only writes in it: a read in the block (or a ``skip_conflicts`` insert, answered at
    once) makes psycopg wait for every answer so far — still correct, but nothing is saved.
    """
    connection: Any = connections[using]
    if not connection.in_atomic_block:
        raise TransactionManagementError("writes_together runs inside a transaction (transaction.atomic)")
    if connection.vendor != "postgresql" or getattr(connection, _PENDING, None) is not None:
        yield
        return
    connection.ensure_connection()
    pending: list[tuple[Any, _Finish]] = []
    setattr(connection, _PENDING, pending)
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            yield
    except BaseException:
        _close(pending)
        raise
    finally:
        setattr(connection, _PENDING, None)
    for index, (cursor, finish) in enumerate(pending):
        try:
            with cursor:
                finish(cursor)
        except BaseException:
            _close(pending[index + 1 :])
            raise


def _close(pending: Sequence[tuple[Any, _Finish]]) -> None:
    for cursor, _ in pending:
        with contextlib.suppress(Exception):
            cursor.close()


def _write(connection: Any, sql: str, params: Sequence[Any], finish: _Finish, *, answer_now: bool = False) -> Any:
    """Run one write, then ``finish(cursor)`` with its answer: at the end of ``writes_together`` (``None``
    is returned), or at once (what ``finish`` returns) outside it or with ``answer_now``."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
    except BaseException:
        cursor.close()
        raise
    pending = getattr(connection, _PENDING, None)
    if pending is not None and not answer_now:
        pending.append((cursor, finish))
        return None
    with cursor:
        return finish(cursor)


@overload
def row_insert(instance: M, *, using: str = ..., skip_conflicts: Literal[False] = ...) -> M: ...
@overload
def row_insert(instance: M, *, using: str = ..., skip_conflicts: Literal[True]) -> M | None: ...


def row_insert(instance: M, *, using: str = "default", skip_conflicts: bool = False) -> M | None:
    """``instance.save(force_insert=True)`` for a model with an auto id, through SQL built once per model:
    the same column values (``pre_save`` and ``get_db_prep_save`` of every field, so defaults, ``auto_now``
    and JSON encoders apply), the same ``pre_save`` / ``post_save`` signals, the id set on the instance.
    Inside ``writes_together`` the id is set and ``post_save`` sent at the block's end.

    With ``skip_conflicts`` the insert is ``ON CONFLICT DO NOTHING`` (``INSERT OR IGNORE`` on SQLite): a row
    that would break a unique constraint is not written, no error aborts the transaction (so no savepoint
    is needed around it), ``post_save`` is not sent and ``None`` is returned (at once, also inside
    ``writes_together``: the caller needs the answer)."""
    model = type(instance)
    meta: Any = model._meta
    if meta.auto_field is None or meta.parents or instance.pk is not None:
        raise ValueError("row_insert makes a new row of a model with an auto id and no parent model")
    models.signals.pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    sql, columns = _write_sql(using, model, (), skip_conflicts)
    connection: Any = connections[using]
    params = _row_values(columns, instance, True, connection)

    def stored(cursor: Any) -> M | None:
        if connection.features.can_return_columns_from_insert:
            returned = cursor.fetchone()
            if returned is None:  # skip_conflicts: the row conflicted and was not written
                return None
            new_id = returned[0]
        else:
            new_id = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
        _stored(instance, new_id, using)
        models.signals.post_save.send(
            sender=model, instance=instance, created=True, update_fields=None, raw=False, using=using
        )
        return instance

    if skip_conflicts:  # the caller needs the answer: written or skipped
        return _write(connection, sql, params, stored, answer_now=True)
    _write(connection, sql, params, stored)
    return instance


def sql_write(sql: str, params: Sequence[Any], *, using: str = "default") -> None:
    """A write of SQL the ORM cannot express (an ``INSERT … SELECT``) whose answer nobody needs: inside
    ``writes_together`` it is sent with the block, and a refusal raises at the block's end; elsewhere it
    runs at once. ``sql`` is the caller's, built once from the models' table and column names."""
    _write(connections[using], sql, params, lambda cursor: None)


def rows_insert(instances: Sequence[M], *, using: str = "default") -> list[M]:
    """``bulk_create(instances)`` for a model with an auto id, through SQL built once per (model, number of
    rows): one multi-row ``INSERT … RETURNING id``, the ids set in order (inside ``writes_together``, at the
    block's end), the same column values (``pre_save`` and ``get_db_prep_save``), no signals — as
    ``bulk_create`` sends none. Batches of at most the backend's bulk batch size, as ``bulk_create`` makes them."""
    if not instances:
        return []
    model = type(instances[0])
    meta: Any = model._meta
    connection: Any = connections[using]
    if meta.auto_field is None or meta.parents or not connection.features.can_return_rows_from_bulk_insert:
        raise ValueError("rows_insert makes new rows of a model with an auto id, on a backend that returns them")
    if any(type(i) is not model or i.pk is not None for i in instances):
        raise ValueError("rows_insert takes new instances of one model")
    _, columns = _write_sql(using, model, ())
    batch = max(1, connection.ops.bulk_batch_size([c[0] for c in columns], list(instances)))
    for start in range(0, len(instances), batch):
        chunk = instances[start : start + batch]
        sql, _ = _write_sql(using, model, (), False, len(chunk))
        params = [value for i in chunk for value in _row_values(columns, i, True, connection)]

        def stored(cursor: Any, chunk: Sequence[M] = chunk) -> None:
            for instance, (new_id,) in zip(chunk, cursor.fetchall(), strict=True):
                _stored(instance, new_id, using)

        _write(connection, sql, params, stored)
    return list(instances)


def row_update(instance: models.Model, fields: tuple[str, ...] | list[str], *, using: str = "default") -> None:
    """``instance.save(update_fields=fields)`` through SQL built once per (model, fields): the same
    values, signals and refusal when the row is gone ("did not affect any rows"); inside
    ``writes_together``, the refusal and ``post_save`` come at the block's end."""
    names = tuple(dict.fromkeys(fields))
    if not names:
        return
    model = type(instance)
    frozen = frozenset(names)
    models.signals.pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=frozen)
    sql, columns = _write_sql(using, model, names)
    connection = connections[using]
    params = _row_values(columns, instance, False, connection)
    params.append(instance.pk)

    def stored(cursor: Any) -> None:
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")
        instance._state.db = using
        models.signals.post_save.send(
            sender=model, instance=instance, created=False, update_fields=frozen, raw=False, using=using
        )

    _write(connection, sql, params, stored)
