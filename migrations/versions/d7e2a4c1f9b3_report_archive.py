"""quarterly report archive: snapshot version, size, pages, progress, timings, close key

Revision ID: d7e2a4c1f9b3
Revises: e4b7a2c91d05
Create Date: 2026-12-07 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e2a4c1f9b3'
down_revision = "e4b7a2c91d05"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('quarterly_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('close_key', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('size_bytes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pages', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stage', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('sections_done', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sections_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pages_laid_out', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('render_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', _TIME, nullable=True))
        batch_op.add_column(sa.Column('build_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('render_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('mailed_at', _TIME, nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_quarterly_reports_close_key'), ['close_key'])


def downgrade():
    with op.batch_alter_table('quarterly_reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_quarterly_reports_close_key'), type_='unique')
        for name in ('mailed_at', 'render_seconds', 'build_seconds', 'heartbeat_at',
                     'render_pid', 'pages_laid_out', 'sections_total', 'sections_done',
                     'stage', 'pages', 'size_bytes', 'close_key', 'snapshot_version'):
            batch_op.drop_column(name)
