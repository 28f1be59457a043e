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


class _Slot(str):
    """A parameter position filled from the call's value of this name."""


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
