"""government banner settings

Revision ID: e4b7a2c91d05
Revises: e7b3a9d2f614
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b7a2c91d05'
down_revision = "e7b3a9d2f614"
branch_labels = None
depends_on = None


def upgrade():
    # An existing organization keeps no banner until an administrator says it is a government.
    with op.batch_alter_table('org_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_government', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('government_name', sa.String(length=200), nullable=False, server_default='the United States government'))


def downgrade():
    with op.batch_alter_table('org_settings', schema=None) as batch_op:
        batch_op.drop_column('government_name')
        batch_op.drop_column('is_government')
