"""service standards

A service's published promises (SPEC 3): code (unique, up to 40 characters), text, service,
metric, its own target, optional channel, retired flag; and the standard an observation
reports on. The observation's key gains its standard (coalesce to 0: "no standard" is a
value), so two standards of one service on one metric and channel stay apart; the older
unique constraint, which lacked it, goes. On SQLite dropping the constraint rebuilds the
table, which drops its triggers: they are created again (copied here from
cxprogram/rollup/triggers.py as they are at this revision).

Revision ID: f3c8a1d5b7e2
Revises: f3c8e1a7b942
Create Date: 2026-12-08 23:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f3c8a1d5b7e2"
down_revision = "f3c8e1a7b942"
branch_labels = None
depends_on = None

OLD_COLUMNS = ["department_id", "metric_id", "period_id", "service_id", "channel_id", "import_key"]
# the name downgrade gives the old constraint back (PostgreSQL shortened the first one's)
OLD_CONSTRAINT = "uq_observations_old_key"
SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS rollup_stamp_observation_insert AFTER INSERT ON observations WHEN NOT EXISTS (SELECT 1 FROM rollup_period_stamps WHERE period_id = NEW.period_id AND changed = 1) BEGIN INSERT INTO rollup_period_stamps (period_id, revision, changed) SELECT NEW.period_id, 1, 1 WHERE NOT EXISTS (SELECT 1 FROM rollup_period_stamps WHERE period_id = NEW.period_id AND changed = 1) ON CONFLICT (period_id) DO UPDATE SET revision = revision + 1, changed = 1; END",
    "CREATE TRIGGER IF NOT EXISTS rollup_stamp_observation_update AFTER UPDATE ON observations WHEN NOT EXISTS (SELECT 1 FROM rollup_period_stamps WHERE period_id = OLD.period_id AND changed = 1) OR NOT EXISTS (SELECT 1 FROM rollup_period_stamps WHERE period_id = NEW.period_id AND changed = 1) BEGIN INSERT INTO rollup_period_stamps (period_id, revision, changed) SELECT OLD.period_id, 1, 1 WHERE NOT EXISTS (SELECT 1 FROM rollup_period_stamps WHERE period_id = OLD.period_id AND changed = 1) ON CONFLICT (period_id) DO UPDATE SET revision = revision + 1, changed = 1; INSERT INTO rollup_period_stamps (period_id, revision, changed) SELECT NEW.period_id, 1, 1 WHERE NOT EXISTS (SELECT 1 FROM rollup_period_stamps WHERE period_id = NEW.period_id AND changed = 1) ON CONFLICT (period_id) DO UPDATE SET revision = revision + 1, changed = 1; END",
    "CREATE TRIGGER IF NOT EXISTS rollup_stamp_observation_delete AFTER DELETE ON observations WHEN NOT EXISTS (SELECT 1 FROM rollup_period_stamps WHERE period_id = OLD.period_id AND changed = 1) BEGIN INSERT INTO rollup_period_stamps (period_id, revision, changed) SELECT OLD.period_id, 1, 1 WHERE NOT EXISTS (SELECT 1 FROM rollup_period_stamps WHERE period_id = OLD.period_id AND changed = 1) ON CONFLICT (period_id) DO UPDATE SET revision = revision + 1, changed = 1; END",
]
KEY = [
    "department_id",
    "metric_id",
    "period_id",
    sa.text("coalesce(service_id, 0)"),
    sa.text("coalesce(channel_id, 0)"),
    "import_key",
]


def upgrade():
    op.create_table(
        "service_standards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("is_retired", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_service_standards_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metric_definitions.id"],
            name=op.f("fk_service_standards_metric_id_metric_definitions"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_service_standards_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_standards")),
        sa.UniqueConstraint("code", name=op.f("uq_service_standards_code")),
    )
    op.create_index(op.f("ix_service_standards_service_id"), "service_standards", ["service_id"])
    op.drop_index("uq_observations_key", table_name="observations")
    with op.batch_alter_table("observations") as batch_op:
        batch_op.add_column(sa.Column("standard_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_observations_standard_id_service_standards"),
            "service_standards",
            ["standard_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f(_old_constraint_name()), type_="unique")
    op.create_index(
        "uq_observations_key",
        "observations",
        [*KEY, sa.text("coalesce(standard_id, 0)")],
        unique=True,
    )
    _triggers_again()


def downgrade():
    op.drop_index("uq_observations_key", table_name="observations")
    with op.batch_alter_table("observations") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_observations_standard_id_service_standards"), type_="foreignkey"
        )
        batch_op.drop_column("standard_id")
        batch_op.create_unique_constraint(
            op.f(OLD_CONSTRAINT),
            OLD_COLUMNS,
        )
    op.create_index("uq_observations_key", "observations", KEY, unique=True)
    _triggers_again()
    op.drop_index(op.f("ix_service_standards_service_id"), table_name="service_standards")
    op.drop_table("service_standards")


def _old_constraint_name():
    """The old unique constraint's name as the database holds it (PostgreSQL truncated the
    initial schema's 80-character name to 63)."""
    for found in sa.inspect(op.get_bind()).get_unique_constraints("observations"):
        if found["column_names"] == OLD_COLUMNS:
            return found["name"]
    raise RuntimeError("the observations' old unique constraint is missing")


def _triggers_again():
    """SQLite's batch mode rebuilt the table without its triggers (PostgreSQL keeps them)."""
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
