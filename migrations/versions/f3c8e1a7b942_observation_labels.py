"""observation labels: what a row is (e.g. a standard's text), beside its source key

Revision ID: f3c8e1a7b942
Revises: d7f2a4c9e1b3
Create Date: 2026-12-07 23:20:00.000000

The source key stays in the column `import_key` (the model attribute and every index keep
their name); files and the API call it `key`.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3c8e1a7b942'
down_revision = "d7f2a4c9e1b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('label', sa.String(length=200), server_default='', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_column('label')
