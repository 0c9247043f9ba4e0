"""A new answer, its follow-up and its theme tags stored in one SQL statement.

The public submission's throughput (bench/, DESIGN.md's target against a bare insert) rests on
this: one round trip in autocommit instead of a transaction of several statements.
``feedback.services.response_submit`` decides when it applies; this module only writes.
"""

from __future__ import annotations

import contextlib
import functools

from django.db import connections, models, router

from .models import FollowUp, Response, ResponseTheme, Survey

# Fields whose value, when it is exactly of this type (or None where the column takes NULL), needs
# none of the dozen calls of ``get_db_prep_save(pre_save(...))``: it is its own parameter, or for
# the integer fields the backend's ``adapt_integerfield_value`` of it (psycopg's Int2/Int4/Int8 on
# PostgreSQL, which fix the parameter's type, and so the prepared statement). Only these exact
# classes: a subclass may convert.
_PLAIN_TYPES = {models.CharField: str, models.TextField: str, models.BooleanField: bool}
_INTEGER_FIELDS = {
    models.SmallIntegerField,
    models.IntegerField,
    models.BigIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
}
# A foreign key's parameter is its target's; an auto field passes an int as it is.
_AUTO_FIELDS = {models.AutoField, models.BigAutoField, models.SmallAutoField}
_MISSING = object()


def supported(*, with_after_effects: bool) -> bool:
    """Whether the database can take the answer in one statement: with a follow-up or theme tags,
    only PostgreSQL (data-modifying common table expressions)."""
    return connections[router.db_for_write(Response)].vendor == "postgresql" or not with_after_effects


def _columns(model, skip: str = "") -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name != skip]


def _sql(connection, *, followup: bool, themes: bool) -> str:
    """``INSERT … SELECT … WHERE <the survey is open> ON CONFLICT (survey_id, submission_id) DO
    NOTHING RETURNING id`` for the answer.

    With ``followup`` or ``themes`` (PostgreSQL): the same insert in a ``WITH`` clause, the
    follow-up and the theme tags inserted from its result (so nothing when the answer was stored
    already), and the answer's and the follow-up's ids selected. Only the models' table and
    column names go into the text; every value is a parameter.
    """
    quote = connection.ops.quote_name
    response_columns = _columns(Response)
    if connection.vendor == "postgresql":
        values = ", ".join(f"%s::{f.cast_db_type(connection)}" for f in response_columns)
    else:
        values = ", ".join(["%s"] * len(response_columns))
    # Stored only while the survey's row says open: a survey closed by another process is refused
    # on the next answer, before this process's cached copy is replaced (an index read, no lock).
    survey_open = (
        f"SELECT 1 FROM {quote(Survey._meta.db_table)}"  # noqa: S608 - the model's own table and columns
        f" WHERE {quote('id')} = %s AND {quote('status')} = %s"
    )
    insert = (
        f"INSERT INTO {quote(Response._meta.db_table)} ({', '.join(quote(f.column) for f in response_columns)})"
        f" SELECT {values} WHERE EXISTS ({survey_open})"
        f" ON CONFLICT ({quote('survey_id')}, {quote('submission_id')}) DO NOTHING RETURNING {quote('id')}"
    )
    if not (followup or themes):
        return insert
    parts = [f"r AS ({insert})"]
    if followup:
        columns = _columns(FollowUp, skip="response")
        values = ", ".join(f"%s::{f.cast_db_type(connection)}" for f in columns)
        parts.append(
            f"f AS (INSERT INTO {quote(FollowUp._meta.db_table)}"  # noqa: S608
            f" ({quote('response_id')}, {', '.join(quote(f.column) for f in columns)})"
            f" SELECT r.{quote('id')}, {values} FROM r RETURNING {quote('id')})"
        )
    if themes:
        parts.append(
            f"t AS (INSERT INTO {quote(ResponseTheme._meta.db_table)}"  # noqa: S608
            f" ({quote('response_id')}, {quote('theme_id')}, {quote('source')})"
            f" SELECT r.{quote('id')}, x.theme_id, %s FROM r CROSS JOIN unnest(%s::bigint[]) AS x(theme_id))"
        )
    followup_id = f"(SELECT {quote('id')} FROM f)" if followup else "NULL"  # noqa: S608
    return f"WITH {', '.join(parts)} SELECT r.{quote('id')}, {followup_id} FROM r"  # noqa: S608


def _binder(field, connection) -> tuple:
    """``(attname, the value's type that needs no conversion or None, null, convert, field)``."""
    kind = type(field)
    if kind is models.ForeignKey and type(field.target_field) in _AUTO_FIELDS:
        return field.attname, int, field.null, None, field
    if kind in _INTEGER_FIELDS:
        convert = functools.partial(connection.ops.adapt_integerfield_value, internal_type=field.get_internal_type())
        return field.attname, int, field.null, convert, field
    return field.attname, _PLAIN_TYPES.get(kind), field.null, None, field


def _binders(model, connection, skip: str = "") -> list[tuple]:
    return [_binder(f, connection) for f in _columns(model, skip)]


def _params(instance, binders: list[tuple], connection) -> list:
    """The instance's column values as parameters, as ``Field.get_db_prep_save`` makes them."""
    data = instance.__dict__
    params = []
    for attname, plain, null, convert, field in binders:
        value = data.get(attname, _MISSING)
        if plain is not None and type(value) is plain:
            params.append(value if convert is None else convert(value))
        elif plain is not None and value is None and null:
            params.append(None)
        else:
            params.append(field.get_db_prep_save(field.pre_save(instance, True), connection))
    return params


_attnames: dict[type, tuple] = {}


def new_instance(model, values: dict, related: dict | None = None):
    """``model(**values)`` through the positional path of ``Model.__init__`` (the one ``from_db``
    takes), which costs half of the keyword one.

    ``values``: every concrete field but the primary key, by attname (a missing one is a KeyError,
    never a silent default); ``related``: objects to keep on the instance as ``survey=survey``
    would, so reading them costs no query.
    """
    names = _attnames.get(model)
    if names is None:
        names = _attnames[model] = tuple(None if f.primary_key else f.attname for f in model._meta.concrete_fields)
    instance = model(*[None if name is None else values[name] for name in names])
    for name, obj in (related or {}).items():
        model._meta.get_field(name).set_cached_value(instance, obj)
    return instance


_statements: dict[tuple, str] = {}
_binders_of: dict[tuple, list[tuple]] = {}


def insert(response: Response, followup: FollowUp | None, themes: list[int]) -> bool:
    """Insert ``response`` (with its follow-up and theme tags) unless its submission is stored.

    One statement, run in autocommit outside a transaction: it is its own transaction, so the
    answer and its after-effects are stored together or not at all, in one round trip. Returns
    whether the answer was new; on ``False`` nothing was written: the submission was stored
    already, or the survey is gone or no longer open (the caller tells which).
    """
    connection = connections[router.db_for_write(Response)]
    shape = (connection.vendor, followup is not None, bool(themes))
    sql = _statements.get(shape)
    if sql is None:
        sql = _statements[shape] = _sql(connection, followup=shape[1], themes=shape[2])
    binders = _binders_of.get(shape)
    if binders is None:
        binders = _binders_of[shape] = [
            _binders(Response, connection),
            _binders(FollowUp, connection, skip="response"),
        ]
    params = _params(response, binders[0], connection)
    params += [response.survey_id, Survey.Status.ACTIVE.value]
    if followup is not None:
        params += _params(followup, binders[1], connection)
    if themes:
        params += [ResponseTheme.Source.AUTO.value, list(themes)]
    row = _execute_fetchone(connection, sql, params)
    if row is None:
        return False
    response.pk = row[0]
    response._state.adding, response._state.db = False, connection.alias
    if followup is not None:
        followup.pk, followup.response = row[1], response
        followup._state.adding, followup._state.db = False, connection.alias
    return True


def _execute_fetchone(connection, sql: str, params: list) -> tuple | None:
    """Run ``sql`` and return its first row.

    On PostgreSQL the parameters are bound on the server (a psycopg ``Cursor`` on Django's
    connection) rather than quoted into the text as Django's cursors do, so psycopg prepares the
    statement after a few uses (the connection's ``prepare_threshold``: ``DB_PREPARE_THRESHOLD``
    in config/settings.py, 5 unless set; "off" behind PgBouncer in transaction mode) and
    PostgreSQL stops parsing and planning it for every answer. Django's cursor still opens (and health-checks) the
    connection, logs the query where queries are logged, and turns driver errors into Django's.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.fetchone()
        import psycopg

        log = cursor.debug_sql(sql, params) if hasattr(cursor, "debug_sql") else contextlib.nullcontext()
        with log, connection.wrap_database_errors, psycopg.Cursor(cursor.cursor.connection) as bound:
            bound.execute(sql, params)
            return bound.fetchone()
