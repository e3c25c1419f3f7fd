"""record.echo_device: the device whose push result carried a record's current version

Pulls with ``omit_own=1`` leave such records out for that device (echo suppression). The
index on ``scope_exit.record_id`` answers "has this record ever left a patch?" at flush: such
records are never marked (see ``server.services.records.WriteBatch.flush``). Existing rows
start NULL, which only means "send it": the old behaviour.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # A nullable column with no default: ALTER TABLE ADD COLUMN on both SQLite and PostgreSQL
    # (no table rebuild, no rewrite of existing rows).
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('echo_device', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    with op.batch_alter_table('scope_exit', schema=None) as batch_op:
        batch_op.create_index('ix_scope_exit_record', ['record_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('scope_exit', schema=None) as batch_op:
        batch_op.drop_index('ix_scope_exit_record')
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_column('echo_device')
