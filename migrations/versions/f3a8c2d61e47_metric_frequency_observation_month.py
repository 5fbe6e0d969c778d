"""metric frequency and observation month

Each metric is reported monthly, quarterly (the default, as every metric was) or annually
(SPEC 3). A monthly metric's observations carry their month (calendar month 1..12), which is
part of the observation's key: the unique index gains coalesce(month, 0), and the old unique
constraint on the key's columns (which the index replaced) is dropped, since it would refuse
three months of one service and channel. On SQLite dropping the constraint rebuilds the
table, so the rollup cache's triggers are created again (copied from
cxprogram/rollup/triggers.py as they are at this revision).

Revision ID: f3a8c2d61e47
Revises: a4c9e2f7b1d3, f3c8e1a7b942 (it also joins the two heads the last merges left)
Create Date: 2026-12-07 23:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f3a8c2d61e47"
down_revision = ("a4c9e2f7b1d3", "f3c8e1a7b942")
branch_labels = None
depends_on = None

OLD_COLUMNS = ["department_id", "metric_id", "period_id", "service_id", "channel_id", "import_key"]


def _sqlite_clean(row):
    return (
        "NOT EXISTS (SELECT 1 FROM rollup_period_stamps "
        f"WHERE period_id = {row}.period_id AND changed = 1)"
    )


def _sqlite_bump(row):
    return (
        "INSERT INTO rollup_period_stamps (period_id, revision, changed) "
        f"SELECT {row}.period_id, 1, 1 WHERE {_sqlite_clean(row)} "
        "ON CONFLICT (period_id) DO UPDATE SET revision = revision + 1, changed = 1; "
    )


SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS rollup_stamp_observation_{name.lower()} "
    f"AFTER {name} ON observations WHEN {' OR '.join(_sqlite_clean(r) for r in rows)} "
    f"BEGIN {''.join(_sqlite_bump(r) for r in rows)}END"
    for name, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",)))
]


def _key_index(with_month):
    parts = [
        "department_id", "metric_id", "period_id", sa.text("coalesce(service_id, 0)"),
        sa.text("coalesce(channel_id, 0)"), "import_key",
    ]
    if with_month:
        parts.append(sa.text("coalesce(month, 0)"))
    op.create_index("uq_observations_key", "observations", parts, unique=True)


def _old_constraint_name(bind):
    for constraint in sa.inspect(bind).get_unique_constraints("observations"):
        if sorted(constraint["column_names"]) == sorted(OLD_COLUMNS):
            return constraint["name"]
    return None


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table("metric_definitions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "frequency", sa.Enum("monthly", "quarterly", "annual", name="frequency",
                                     native_enum=False, length=30),
                nullable=False, server_default="quarterly",
            )
        )
    op.drop_index("uq_observations_key", table_name="observations")
    name = _old_constraint_name(bind)
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("month", sa.Integer(), nullable=True))
        if name:
            batch_op.drop_constraint(name, type_="unique")
    _key_index(with_month=True)
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    bind = op.get_bind()
    op.drop_index("uq_observations_key", table_name="observations")
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_column("month")
        batch_op.create_unique_constraint(
            op.f("uq_observations_department_id_metric_id_period_id_service_id_channel_id_import_key"),
            OLD_COLUMNS,
        )
    _key_index(with_month=False)
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    with op.batch_alter_table("metric_definitions", schema=None) as batch_op:
        batch_op.drop_column("frequency")
