"""Many rows of one model in one INSERT, cheaply: for set-based writers (the SLA sweep's audit
entries, their notification dispatches and jobs).

`QuerySet.bulk_create` prepares every field of every object through the field API and
builds the statement from model instances: ~60 µs a row here, most of the sweep's time at
a few hundred rows a batch. `insert_rows` prepares the columns that are the same for every
row once (from a template instance, defaults and `auto_now_add` included) and sends the
varying ones as one JSON document that PostgreSQL unpacks (`json_to_recordset`), in row
order, RETURNING the primary keys in that order. Elsewhere (SQLite: development and tests)
it is `bulk_create` of the same objects, so both give the same rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, models


def insert_rows(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    constant: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Insert one row per mapping (attribute names: `tenant_id`, not `tenant`) with the
    `constant` attributes (used as given, even for an `auto_now_add` field) and the model's
    defaults for every other field; returns the new
    primary keys in row order. Values are what the model would be given (aware datetimes,
    dicts for JSON fields); JSON fields take JSON values only, as the field does."""
    if not rows:
        return []
    constant = dict(constant or {})
    varying = list(rows[0])
    if any(list(r) != varying for r in rows):
        raise ValueError("insert_rows needs the same attributes in every row")
    attnames = {f.attname for f in model._meta.concrete_fields}
    unknown = (set(varying) | set(constant)) - attnames
    if unknown:
        raise ValueError(f"{model._meta.label} has no field(s) {sorted(unknown)}")
    if connection.vendor != "postgresql":
        objs = model._default_manager.bulk_create(model(**constant, **r) for r in rows)
        ids = [o.pk for o in objs]
        # bulk_create's pre_save stamped auto_now(_add) fields; a given constant wins.
        stamped = {
            f.attname: constant[f.attname]
            for f in model._meta.concrete_fields
            if f.attname in constant
            and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        }
        if stamped:
            model._default_manager.filter(pk__in=ids).update(**stamped)
        return ids
    meta = model._meta
    template = model(**constant)
    fields = [f for f in meta.concrete_fields if not (f.primary_key and f.attname not in varying)]
    by_attname = {f.attname: f for f in fields}
    # The JSON document's rows have one key a varying attribute, c0, c1, … in `varying`'s
    # order; the SELECT list follows the fields' order, constants as typed parameters.
    key = {a: f"c{i}" for i, a in enumerate(varying)}
    record = ", ".join(f"{key[a]} {_cast_type(by_attname[a])}" for a in varying)
    columns, selects, params = [], [], []
    for f in fields:
        columns.append(connection.ops.quote_name(str(f.column)))
        if f.attname in key:
            selects.append(f"r.{key[f.attname]}")
        else:
            # Given constants as given; defaults (and auto_now_add) as a save would set them.
            value = constant[f.attname] if f.attname in constant else f.pre_save(template, True)
            params.append(f.get_db_prep_save(value, connection))
            selects.append(f"%s::{_cast_type(f)}")
    encode = {a: _json_value(by_attname[a]) for a in varying}
    document = json.dumps(
        [{key[a]: encode[a](r[a]) for a in varying} for r in rows], separators=(",", ":")
    )
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(selects)} FROM ROWS FROM (json_to_recordset(%s::json) AS ({record})) "
        f"WITH ORDINALITY AS r({', '.join(key.values())}, n) "
        f"ORDER BY r.n RETURNING {connection.ops.quote_name(str(meta.pk.column))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, document])
        return [row[0] for row in cursor.fetchall()]


def _cast_type(field: models.Field[Any, Any]) -> str:
    db_type = str(field.cast_db_type(connection) or field.rel_db_type(connection))
    # A serial primary key's type is "bigserial", not a type a value can be cast to.
    return {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}.get(
        db_type, db_type
    )


def _json_value(field: models.Field[Any, Any]) -> Any:
    """How one field's value goes into the JSON document: JSON fields as themselves (with
    their encoder's rules checked by json.dumps), times as ISO 8601 with their offset."""
    if isinstance(field, models.JSONField):
        if field.encoder is not None:
            enc = field.encoder()
            return lambda v: json.loads(json.dumps(v, cls=type(enc)))
        return lambda v: v
    if isinstance(field, models.DateTimeField):

        def moment(v: datetime | None) -> str | None:
            if v is not None and v.tzinfo is None:
                raise ValueError(f"{field.name} needs an aware datetime")
            return v.isoformat() if v is not None else None

        return moment
    if isinstance(field, (models.DateField, models.UUIDField)):
        return lambda v: str(v) if isinstance(v, (date, uuid.UUID)) else v
    return lambda v: v
