"""plan cover note, milestone completion date, progress update period

Revision ID: f3c8d1a5b7e2
Revises: f3c8a1d5b7e2
Create Date: 2026-12-07 23:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3c8d1a5b7e2'
down_revision = "f3c8a1d5b7e2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_note', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_on', sa.Date(), nullable=True))
    with op.batch_alter_table('strategy_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_strategy_updates_period_id_reporting_periods', 'reporting_periods',
            ['period_id'], ['id'],
        )
    # A milestone ticked before this revision was done, as far as anyone knows, the day it
    # was ticked (the UTC day of done_at).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE milestones SET done_on = substr(done_at, 1, 10) WHERE done_at IS NOT NULL")
    else:
        op.execute(
            "UPDATE milestones SET done_on = CAST(done_at AT TIME ZONE 'UTC' AS DATE) "
            "WHERE done_at IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table('strategy_updates', schema=None) as batch_op:
        batch_op.drop_constraint('fk_strategy_updates_period_id_reporting_periods',
                                 type_='foreignkey')
        batch_op.drop_column('period_id')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_column('done_on')
    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.drop_column('cover_note')
