"""metric decimals and what n counts

Each metric says how many decimals its values are shown with (NULL: by unit) and what its
n counts ("respondents", "calls answered"); values stay stored with every digit. The standard
catalog's metrics get theirs, and an upper bound of 1e9 (the old "no upper limit") becomes
NULL.

Revision ID: d7f2a4c9e1b3
Revises: d7e2a4c1f9b3
Create Date: 2026-12-08 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d7f2a4c9e1b3"
down_revision = "d7e2a4c1f9b3"
branch_labels = None
depends_on = None

metrics = sa.table(
    "metric_definitions",
    sa.column("code", sa.String),
    sa.column("scale_max", sa.Float),
    sa.column("decimals", sa.Integer),
    sa.column("n_counts", sa.String),
)
SURVEY = (
    "satisfaction",
    "trust",
    "effectiveness",
    "ease",
    "efficiency",
    "transparency",
    "employee",
)
STANDARD = {
    **{code: (2, "respondents") for code in SURVEY},
    "speed_of_answer": (0, "calls answered"),
    "abandonment_rate": (1, "calls or sessions"),
    "first_contact_resolution": (1, "requests"),
    "backlog_age": (0, "open cases"),
}


def upgrade():
    with op.batch_alter_table("metric_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decimals", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("n_counts", sa.String(length=60), nullable=False, server_default="")
        )
    for code, (decimals, counts) in STANDARD.items():
        op.execute(
            metrics.update()
            .where(metrics.c.code == code)
            .values(decimals=decimals, n_counts=counts)
        )
    op.execute(metrics.update().where(metrics.c.scale_max >= 1e9).values(scale_max=None))


def downgrade():
    op.execute(
        metrics.update()
        .where(
            metrics.c.code.in_(["speed_of_answer", "backlog_age"]), metrics.c.scale_max.is_(None)
        )
        .values(scale_max=1e9)
    )
    with op.batch_alter_table("metric_definitions", schema=None) as batch_op:
        batch_op.drop_column("n_counts")
        batch_op.drop_column("decimals")
