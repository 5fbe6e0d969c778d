"""pending uploads keep the file's rows and the preview of its plan, not the file

Revision ID: c3a1f0e2b7d4
Revises: 48c102e6a25c
Create Date: 2026-12-02 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a1f0e2b7d4'
down_revision = '48c102e6a25c'
branch_labels = None
depends_on = None


def upgrade():
    # Pending uploads live for hours; the ones waiting are dropped (their users upload again).
    op.execute("DELETE FROM pending_uploads")
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.drop_column('content')
        batch_op.add_column(sa.Column('packed_rows', sa.LargeBinary(), nullable=False))
        batch_op.add_column(sa.Column('preview', sa.JSON(), nullable=False))


def downgrade():
    op.execute("DELETE FROM pending_uploads")
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.drop_column('preview')
        batch_op.drop_column('packed_rows')
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=False))
