"""site ownership: each site's fencing epoch and owner; the server processes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-11
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every site before this release was served by the one process: epoch 0, no owner.
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('owner_epoch', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('owner', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('owned_since', sa.DateTime(), nullable=True))
    op.create_table('server_processes',
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('sites', sa.Text(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_server_processes'))
    )


def downgrade() -> None:
    op.drop_table('server_processes')
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('owned_since')
        batch.drop_column('owner')
        batch.drop_column('owner_epoch')
