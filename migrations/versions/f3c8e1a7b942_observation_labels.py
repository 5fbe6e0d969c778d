"""observation labels: what a row is (e.g. a standard's text), beside its source key

Revision ID: f3c8e1a7b942
Revises: a4c9e2f7b1d3
Create Date: 2026-12-07 23:20:00.000000

The source key stays in the column `import_key` (the model attribute and every index keep
their name); files and the API call it `key`.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3c8e1a7b942'
down_revision = "a4c9e2f7b1d3"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops a column in place): a batch
# operation would rebuild the table on SQLite and lose the expression index
# uq_observations_key, which it cannot reflect.
def upgrade():
    op.add_column(
        'observations',
        sa.Column('label', sa.String(length=200), server_default='', nullable=False),
    )


def downgrade():
    op.drop_column('observations', 'label')
