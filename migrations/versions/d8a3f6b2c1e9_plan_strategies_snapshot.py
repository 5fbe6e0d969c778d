"""plan strategies snapshot

The strategies of a department's plan as they stood when the plan was last submitted,
kept with the plan review: the chief decides on them, and a past period's plan shows them
as they were, not as they are today. Plans submitted before this revision have none.

Revision ID: d8a3f6b2c1e9
Revises: c5d1e7a90b42
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8a3f6b2c1e9'
down_revision = 'c5d1e7a90b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('strategies_snapshot', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.drop_column('strategies_snapshot')
