"""Hot reads whose SQL Django compiles once per connection (issue 16, opening a case).

Building a queryset and compiling it to SQL costs 10-30 times what PostgreSQL needs to
answer a primary-key or small-index lookup: opening a case spent a quarter of its CPU there.
A `CompiledRead` keeps the statement the ORM compiled for one shape of query and sends it
again with new parameter values: the same SQL text (so the database, its prepared
statements and the query-count guards see exactly what the ORM sends), the same result
converters.

How the parameters are found: the query is built once with `sentinels`, values no real
call passes (a negative id, an instant in 1901). Each sentinel must come out of the
compiler unchanged and at least once; every other parameter is a constant of the shape.
Anything else (a value the backend converts, a sentinel that vanishes) and the read stays
on the ORM for good: a wrong mapping is never guessed at. Only PostgreSQL uses the compiled
path (SQLite converts instants and dates to text); elsewhere the ORM runs every time, so
both paths run in the tests.

Only for `values_list()` queries (tuples); callers build model instances or dataclasses
from the tuples.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable

_UNSAFE = object()


class CompiledRead:
    def __init__(self, build: Callable[..., QuerySet[Any]], **sentinels: Any) -> None:
        self.build = build
        self.sentinels = sentinels
        self._local = threading.local()  # per thread, by database alias

    def rows(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[tuple[Any, ...]]:
        if values.keys() != self.sentinels.keys():
            raise TypeError(f"expected {sorted(self.sentinels)}, got {sorted(values)}")
        connection = connections[using]
        if connection.vendor != "postgresql":
            return list(self.build(**values).using(using))
        cache = self._local.__dict__.setdefault("by_connection", {})
        entry = cache.get(using)
        if entry is None:
            entry = cache[using] = self._compile(using)
        if entry is _UNSAFE:
            return list(self.build(**values).using(using))
        sql, slots, converters = entry
        params = [values[slot] if isinstance(slot, _Slot) else slot.value for slot in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return _converted(rows, converters, connection)

    def _compile(self, using: str) -> Any:
        qs = self.build(**self.sentinels).using(using)
        if qs._iterable_class is not ValuesListIterable:  # tuples only (not flat, not named)
            return _UNSAFE
        compiler = qs.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots: list[_Slot | _Const] = []
        seen: set[str] = set()
        for param in params:
            names = [
                name
                for name, sentinel in self.sentinels.items()
                if type(param) is type(sentinel) and param == sentinel
            ]
            if len(names) > 1:
                return _UNSAFE
            if names:
                slots.append(_Slot(names[0]))
                seen.add(names[0])
            else:
                slots.append(_Const(param))
        if seen != set(self.sentinels):
            return _UNSAFE  # a sentinel was converted or dropped: its place is unknown
        if compiler.col_count != len(compiler.select):
            return _UNSAFE  # extra columns (ordering) the ORM would strip
        fields = [s[0] for s in compiler.select]
        converters = compiler.get_converters(fields)
        return sql, slots, converters


def _converted(rows: list[Any], converters: dict[int, Any], connection: Any) -> list[Any]:
    """The rows with the ORM's result converters applied, as the compiler applies them."""
    if not converters:
        return rows
    out = []
    for row in rows:
        values_row = list(row)
        for pos, (funcs, expression) in converters.items():
            value = values_row[pos]
            for func in funcs:
                value = func(value, expression, connection)
            values_row[pos] = value
        out.append(tuple(values_row))
    return out


class _Slot(str):
    """A parameter position filled from the call's value of this name."""


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


# --- INSERTs ------------------------------------------------------------------------------
#
# `Model.save()` of a new row builds an `InsertQuery` and compiles it (quoting every column,
# assembling placeholders) on every call: for the six rows an opening writes that was a
# sixth of its CPU. The statement depends only on the model, the column set and the
# database, so it is compiled by Django once per process for each and sent again with the
# values prepared exactly as Django's insert compiler prepares them (`pre_save`, then
# `get_db_prep_save`). A value that is an expression (`Now()`, a `DatabaseDefault`) or a
# field with its own placeholder SQL goes through the ORM as before; so does anything not
# on PostgreSQL (development and the SQLite tests run the ORM path).

_INSERTS: dict[tuple[Any, ...], Any] = {}


def compiled_insert(
    obj: Any, using: str, fields: list[Any], returning_fields: list[Any] | None, raw: bool
) -> list[tuple[Any, ...]] | None:
    """What `Model._do_insert` returns, or None: the caller lets the ORM do it."""
    connection = connections[using]
    if raw or connection.vendor != "postgresql":
        return None
    returning = returning_fields or []
    key = (type(obj), using, *map(id, fields), None, *map(id, returning))
    plan = _INSERTS.get(key)
    if plan is None:
        plan = _compile_insert(obj, connection, fields, returning)
        if plan is None:
            return None  # this call's values need the ORM; try compiling again next time
        _INSERTS[key] = plan
    if plan is _UNSAFE:
        return None
    sql, converters = plan
    params = []
    for field in fields:
        value = field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):
            return None
        value = field.get_db_prep_save(value, connection=connection)
        if hasattr(value, "as_sql"):
            return None
        params.append(value)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not returning:
            return []
        rows = connection.ops.fetch_returned_rows(cursor, ())
    return _converted(list(rows), converters, connection)


def _compile_insert(obj: Any, connection: Any, fields: list[Any], returning: list[Any]) -> Any:
    """(sql, converters) from Django's own compiler; _UNSAFE for a shape that never takes
    plain placeholders; None when only this call's values (an expression) do not."""
    from django.db.models.sql import InsertQuery

    if not fields or any(getattr(f, "get_placeholder_sql", None) for f in fields):
        return _UNSAFE
    if connection.ops.modify_insert_params("%s", [None]) != [None]:
        return _UNSAFE
    model = type(obj)
    query = InsertQuery(model)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = returning or None
    statements = compiler.as_sql()
    if len(statements) != 1:
        return _UNSAFE
    sql, params = statements[0]
    # Every column a plain placeholder, one parameter each, nothing else parameterised.
    if f"VALUES ({', '.join(['%s'] * len(fields))})" not in sql or len(params) != len(fields):
        return None
    if compiler.returning_params:
        return _UNSAFE
    table = model._meta.db_table
    converters = compiler.get_converters([f.get_col(table) for f in returning])
    return sql, converters


class CompiledInsertModel:
    """Model mixin: `save()` of a new row sends its INSERT compiled once (`compiled_insert`);
    everything else about saving (signals, `pre_save`, the model's own `save()`) is Django's."""

    def _do_insert(self, manager, using, fields, returning_fields, raw):  # type: ignore[no-untyped-def]
        rows = compiled_insert(self, using, fields, returning_fields, raw)
        if rows is None:
            return super()._do_insert(manager, using, fields, returning_fields, raw)  # type: ignore[misc]
        return rows


def insert_new(obj: Any, using: str | None = None) -> None:
    """`obj.save(force_insert=True)` with the INSERT compiled once, for a model that cannot
    take `CompiledInsertModel` (another app's, e.g. django-tasks-db's job row): the same
    `pre_save` and `post_save` signals with the same arguments, the same columns and
    RETURNING as `Model._save_table` sends for a new row. A model with parents, a proxy,
    or its own `save()` is saved by Django."""
    from django.db import router, transaction
    from django.db.models import Model
    from django.db.models.signals import post_save, pre_save

    cls = type(obj)
    meta = cls._meta
    using = using or router.db_for_write(cls, instance=obj)
    plain = all(
        getattr(cls, name) is getattr(Model, name)
        for name in ("save", "save_base", "_save_table", "_do_insert")
    )
    if meta.parents or meta.proxy or meta.auto_created or not plain:
        obj.save(force_insert=True, using=using)
        return
    pre_save.send(sender=cls, instance=obj, raw=False, using=using, update_fields=None)
    with transaction.mark_for_rollback_on_error(using=using):
        if not obj._is_pk_set(meta):
            setattr(obj, meta.pk.attname, meta.pk.get_pk_value_on_save(obj))
        pk_set = obj._is_pk_set(meta)
        fields = [
            f
            for f in meta.local_concrete_fields
            if not f.generated and (pk_set or f is not meta.auto_field)
        ]
        returning = list(meta.db_returning_fields)
        rows = compiled_insert(obj, using, fields, returning, False)
        if rows is None:
            obj._save_table(raw=False, cls=cls, force_insert=True, using=using)
        elif rows:
            obj._assign_returned_values(rows[0], returning)
    obj._state.db = using
    obj._state.adding = False
    post_save.send(
        sender=cls, instance=obj, created=True, update_fields=None, raw=False, using=using
    )
