"""enrolment codes: a device enrolled with a short code instead of a typed token

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('enrolment_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('device', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('used_from', sa.String(length=64), nullable=True),
    sa.Column('replaced_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_enrolment_codes'))
    )
    op.create_index('ix_enrolment_codes_site_token', 'enrolment_codes', ['site', 'token_hash'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_enrolment_codes_site_token', table_name='enrolment_codes')
    op.drop_table('enrolment_codes')
