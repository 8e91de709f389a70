"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('counters',
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('officer', sa.String(length=32), nullable=True),
    sa.Column('ticket_id', sa.String(length=80), nullable=True),
    sa.Column('pause_reason', sa.String(length=200), nullable=True),
    sa.Column('priority_streak', sa.Integer(), nullable=False),
    sa.Column('normal_streak', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('site', 'code', name=op.f('pk_counters'))
    )
    op.create_table('events',
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('site', 'seq', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_at'), ['at'], unique=False)

    op.create_table('number_counters',
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('number_group', sa.String(length=32), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('site', 'number_group', 'business_date', name=op.f('pk_number_counters'))
    )
    op.create_table('ratings',
    sa.Column('ticket_id', sa.String(length=80), nullable=False),
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=False),
    sa.Column('counter', sa.String(length=32), nullable=True),
    sa.Column('officer', sa.String(length=32), nullable=True),
    sa.Column('service', sa.String(length=32), nullable=False),
    sa.Column('case_code', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ratings'))
    )
    op.create_table('sites',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('next_queue_key', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_sites'))
    )
    op.create_table('tickets',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number_group', sa.String(length=32), nullable=False),
    sa.Column('service', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queue_key', sa.Integer(), nullable=False),
    sa.Column('request_key', sa.String(length=80), nullable=True),
    sa.Column('counter', sa.String(length=32), nullable=True),
    sa.Column('target_counter', sa.String(length=32), nullable=True),
    sa.Column('officer', sa.String(length=32), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('called_at', sa.DateTime(), nullable=True),
    sa.Column('first_called_at', sa.DateTime(), nullable=True),
    sa.Column('serving_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('appointment_at', sa.DateTime(), nullable=True),
    sa.Column('call_count', sa.Integer(), nullable=False),
    sa.Column('requeue_count', sa.Integer(), nullable=False),
    sa.Column('transfer_count', sa.Integer(), nullable=False),
    sa.Column('case_code', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('site', 'business_date', 'number', name='uq_tickets_number'),
    sa.UniqueConstraint('site', 'business_date', 'request_key', name='uq_tickets_request_key')
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_site_day_status', ['site', 'business_date', 'status'], unique=False)
        batch_op.create_index('ix_tickets_site_finished', ['site', 'service', 'finished_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_site_finished')
        batch_op.drop_index('ix_tickets_site_day_status')

    op.drop_table('tickets')
    op.drop_table('sites')
    op.drop_table('ratings')
    op.drop_table('number_counters')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_at'))

    op.drop_table('events')
    op.drop_table('counters')
