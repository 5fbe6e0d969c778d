"""Database triggers that bump a period's revision whenever one of its observations is
inserted, updated or deleted, by any writer (the ORM, bulk statements, raw SQL).

The rollup cache compares these revisions with the ones its records were computed from.
create_all() creates the triggers (see register()); a migration must run
migration_statements(dialect) too. Without them the rollup still gives exact results: it
then aggregates every period again on each run (queries.period_fingerprints).
"""

from __future__ import annotations

from sqlalchemy import DDL, MetaData, event

TRIGGER_NAMES = (
    "rollup_stamp_observation_insert",
    "rollup_stamp_observation_update",
    "rollup_stamp_observation_delete",
)


def _sqlite_clean(row: str) -> str:
    # row is NEW or OLD, never outside input
    return (
        "NOT EXISTS (SELECT 1 FROM rollup_period_stamps "  # noqa: S608
        f"WHERE period_id = {row}.period_id AND changed = 1)"
    )


def _sqlite_bump(row: str) -> str:
    return (
        "INSERT INTO rollup_period_stamps (period_id, revision, changed) "  # noqa: S608
        f"SELECT {row}.period_id, 1, 1 WHERE {_sqlite_clean(row)} "
        "ON CONFLICT (period_id) DO UPDATE SET revision = revision + 1, changed = 1; "
    )


# SQLite: a row-level trigger that writes only when the period is not already marked as
# changed since the cache last read it (a write per row would double a bulk insert's cost;
# the check is a primary-key lookup). SQLite has one writer at a time, so the cache's
# clearing of the mark cannot race a writer (services.refresh_aggregates).
SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS rollup_stamp_observation_{op.lower()} "
    f"AFTER {op} ON observations WHEN {' OR '.join(_sqlite_clean(r) for r in rows)} "
    f"BEGIN {''.join(_sqlite_bump(r) for r in rows)}END"
    for op, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",)))
]

# PostgreSQL: one statement-level trigger per operation with transition tables, so a bulk
# insert bumps each period once per statement; periods are locked in id order. It always
# bumps (concurrent writers make a "changed" mark unsafe there), and leaves changed at 0.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION rollup_stamp_periods() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO rollup_period_stamps (period_id, revision)
    SELECT DISTINCT period_id, 1 FROM new_rows ORDER BY period_id
    ON CONFLICT (period_id) DO UPDATE SET revision = rollup_period_stamps.revision + 1;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO rollup_period_stamps (period_id, revision)
    SELECT DISTINCT period_id, 1 FROM old_rows ORDER BY period_id
    ON CONFLICT (period_id) DO UPDATE SET revision = rollup_period_stamps.revision + 1;
  ELSE
    INSERT INTO rollup_period_stamps (period_id, revision)
    SELECT period_id, 1 FROM (SELECT period_id FROM old_rows
                              UNION SELECT period_id FROM new_rows) AS changed
    ORDER BY period_id
    ON CONFLICT (period_id) DO UPDATE SET revision = rollup_period_stamps.revision + 1;
  END IF;
  RETURN NULL;
END $$
"""
_PG_TABLES = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
POSTGRESQL = [_PG_FUNCTION] + [
    statement
    for op, tables in _PG_TABLES.items()
    for statement in (
        f"DROP TRIGGER IF EXISTS rollup_stamp_observation_{op.lower()} ON observations",
        f"CREATE TRIGGER rollup_stamp_observation_{op.lower()} AFTER {op} ON observations "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION rollup_stamp_periods()",
    )
]


def migration_statements(dialect: str) -> list[str]:
    """The statements that create the triggers on this database dialect."""
    return {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, [])


def register(metadata: MetaData) -> None:
    """Create the triggers whenever create_all() runs on this metadata."""
    for dialect in ("sqlite", "postgresql"):
        for statement in migration_statements(dialect):
            ddl = DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]
            event.listen(metadata, "after_create", ddl)
