"""one row per observation

A unique index on the observation's key in which "no service" and "no channel" are values
(coalesce to 0): the unique constraint treats NULLs as distinct, so concurrent adds of a
department-level row stored duplicates. Existing duplicates are merged first: the latest
(updated last, then the highest id) is kept and each merge is audited.

Revision ID: c5d1e7a90b42
Revises: c3a1f0e2b7d4
Create Date: 2026-12-07 03:00:00.000000

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5d1e7a90b42'
down_revision = 'c3a1f0e2b7d4'
branch_labels = None
depends_on = None

observations = sa.table(
    'observations', sa.column('id', sa.Integer), sa.column('department_id', sa.Integer),
    sa.column('metric_id', sa.Integer), sa.column('period_id', sa.Integer),
    sa.column('service_id', sa.Integer), sa.column('channel_id', sa.Integer),
    sa.column('import_key', sa.String), sa.column('value', sa.Float),
    sa.column('n', sa.Float), sa.column('note', sa.Text), sa.column('version', sa.Integer),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)
periods = sa.table('reporting_periods', sa.column('id', sa.Integer), sa.column('label', sa.String))
audit_events = sa.table(
    'audit_events', sa.column('occurred_at', sa.DateTime(timezone=True)),
    sa.column('actor_label', sa.String), sa.column('action', sa.String),
    sa.column('entity_type', sa.String), sa.column('entity_id', sa.String),
    sa.column('department_id', sa.Integer), sa.column('period_label', sa.String),
    sa.column('before', sa.JSON), sa.column('after', sa.JSON), sa.column('reason', sa.Text),
)


def _key(o):
    return (o.c.department_id, o.c.metric_id, o.c.period_id, sa.func.coalesce(o.c.service_id, 0),
            sa.func.coalesce(o.c.channel_id, 0), o.c.import_key)


def _merge_duplicates(conn):
    """Keep the latest row of each duplicated key, delete the others, audit each merge."""
    key = _key(observations)
    groups = conn.execute(sa.select(*key).group_by(*key).having(sa.func.count() > 1)).all()
    labels = dict(conn.execute(sa.select(periods.c.id, periods.c.label)).tuples().all())
    for group in groups:
        rows = conn.execute(
            sa.select(observations).where(*(part == value for part, value in zip(key, group)))
            .order_by(observations.c.updated_at.desc(), observations.c.id.desc())
        ).all()
        kept, dropped = rows[0], rows[1:]
        conn.execute(observations.delete().where(observations.c.id.in_([r.id for r in dropped])))
        conn.execute(audit_events.insert().values(
            occurred_at=datetime.now(UTC), actor_label='system', action='merge',
            entity_type='observation', entity_id=str(kept.id), department_id=kept.department_id,
            period_label=labels.get(kept.period_id),
            before={'duplicates': [_state(r) for r in dropped]}, after=_state(kept),
            reason='duplicate rows of one observation merged: the latest is kept',
        ))


def _state(row):
    return {'id': row.id, 'value': row.value, 'n': row.n, 'note': row.note,
            'version': row.version}


def upgrade():
    _merge_duplicates(op.get_bind())
    op.create_index(
        'uq_observations_key', 'observations',
        ['department_id', 'metric_id', 'period_id', sa.text('coalesce(service_id, 0)'),
         sa.text('coalesce(channel_id, 0)'), 'import_key'],
        unique=True,
    )


def downgrade():
    op.drop_index('uq_observations_key', table_name='observations')
