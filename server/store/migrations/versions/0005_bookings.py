"""bookings: citizens' bookings and numbers taken from the phone; tickets.remote

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('code_sealed', sa.String(length=8), nullable=False),
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('service', sa.String(length=32), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('slot_start', sa.DateTime(), nullable=False),
    sa.Column('slot_end', sa.DateTime(), nullable=False),
    sa.Column('check_in_from', sa.DateTime(), nullable=False),
    sa.Column('check_in_until', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ticket_id', sa.String(length=80), nullable=True),
    sa.Column('check_in_key', sa.String(length=80), nullable=True),
    sa.Column('identity_kind', sa.String(length=8), nullable=False),
    sa.Column('identity_hash', sa.String(length=64), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('remind_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('personal_erased_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_bookings_code_hash'))
    )
    op.create_index('ix_bookings_slot', 'bookings',
                    ['site', 'service', 'slot_start', 'status'], unique=False)
    op.create_index('ix_bookings_identity_day', 'bookings', ['identity_hash', 'day'],
                    unique=False)
    op.create_index('ix_bookings_status_until', 'bookings', ['status', 'check_in_until'],
                    unique=False)
    op.create_index('ix_bookings_day', 'bookings', ['day'], unique=False)
    # Every ticket before this release came from a kiosk (or an admin connection).
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('remote', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('remote')
    op.drop_index('ix_bookings_day', table_name='bookings')
    op.drop_index('ix_bookings_status_until', table_name='bookings')
    op.drop_index('ix_bookings_identity_day', table_name='bookings')
    op.drop_index('ix_bookings_slot', table_name='bookings')
    op.drop_table('bookings')
