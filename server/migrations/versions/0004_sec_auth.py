"""app_user.disabled_at and an audit_log index by record

``disable-user`` sets ``disabled_at`` (sign-in refused, tokens deleted); existing users
start NULL, which means enabled. ``ix_audit_log_record`` answers a manager's "who looked at
this record?" (``GET /api/v1/audit``) without a scan of the whole log.

Revision ID: 0004_sec_auth
Revises: 0003_load
Create Date: 2026-12-01 21:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004_sec_auth'
down_revision: Union[str, Sequence[str], None] = '0003_partners'  # after 0003_partners landed
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # A nullable column with no default: a plain ADD COLUMN on SQLite and PostgreSQL.
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_record', ['record_id', 'entity'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_record')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
