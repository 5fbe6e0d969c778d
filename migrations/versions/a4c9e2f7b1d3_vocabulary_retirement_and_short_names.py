"""vocabulary retirement and department short names

Channels and journey stages become editable by the administrator: each gets a retired flag
(a retired one stays on the observations, services and strategies that have it and takes no
new ones) and a version for optimistic locking. Departments get an optional short name, the
name tight tables show instead of the code.

Revision ID: a4c9e2f7b1d3
Revises: d7f2a4c9e1b3
Create Date: 2026-12-07 23:15:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a4c9e2f7b1d3"
down_revision = "d7f2a4c9e1b3"
branch_labels = None
depends_on = None

VOCABULARIES = ("channels", "journey_stages")


def upgrade():
    for name in VOCABULARIES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("is_retired", sa.Boolean(), nullable=False, server_default=sa.false())
            )
            batch_op.add_column(
                sa.Column("version", sa.Integer(), nullable=False, server_default="1")
            )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("short_name", sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_column("short_name")
    for name in VOCABULARIES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("version")
            batch_op.drop_column("is_retired")
