"""metric frequency and observation month

Each metric is reported monthly, quarterly (the default, as every metric was) or annually
(SPEC 3). A monthly metric's observations carry their month (calendar month 1..12), which is
part of the observation's key: the unique index gains coalesce(month, 0) after the standard.
Plain column additions: the observations table is not rebuilt, so the rollup cache's
triggers stay.

Revision ID: f3a8c2d61e47
Revises: f3c8d1a5b7e2
Create Date: 2026-12-07 23:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f3a8c2d61e47"
down_revision = "f3c8d1a5b7e2"
branch_labels = None
depends_on = None

KEY = [
    "department_id", "metric_id", "period_id", sa.text("coalesce(service_id, 0)"),
    sa.text("coalesce(channel_id, 0)"), "import_key", sa.text("coalesce(standard_id, 0)"),
]


def upgrade():
    op.add_column(
        "metric_definitions",
        sa.Column(
            "frequency",
            sa.Enum("monthly", "quarterly", "annual", name="frequency", native_enum=False,
                    length=30),
            nullable=False, server_default="quarterly",
        ),
    )
    op.add_column("observations", sa.Column("month", sa.Integer(), nullable=True))
    op.drop_index("uq_observations_key", table_name="observations")
    op.create_index(
        "uq_observations_key", "observations", [*KEY, sa.text("coalesce(month, 0)")], unique=True
    )


def downgrade():
    op.drop_index("uq_observations_key", table_name="observations")
    op.drop_column("observations", "month")
    op.create_index("uq_observations_key", "observations", KEY, unique=True)
    op.drop_column("metric_definitions", "frequency")
