"""PostgreSQL: positions (``seq``) from a sequence, so writers no longer queue on one row

Until now every write transaction locked the ``counter`` row named ``seq`` for its whole
length, which serialised all pushes. On PostgreSQL positions now come from the sequence
``record_seq`` (``nextval`` takes no lock that outlives the call) and pulls serve only below
the oldest position still in flight (``server.db.horizon``; the argument is in
docs/sync-protocol.md, "Positions and concurrent writers"). The sequence starts where the
counter stood. SQLite keeps the counter row: there a write transaction is the only writer.

Revision ID: 0003_load
Revises: 0003_sec_blobs
Create Date: 2026-12-01 21:00:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0003_load'
down_revision: Union[str, Sequence[str], None] = '0003_sec_blobs'  # re-linked after 0003_sec_blobs landed
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    # MINVALUE 0 and is_called: the next position is counter + 1, and last_value is always a
    # position already handed out (the horizon relies on that).
    op.execute("CREATE SEQUENCE IF NOT EXISTS record_seq MINVALUE 0 START WITH 0 CACHE 1")
    op.execute(
        "SELECT setval('record_seq', (SELECT value FROM counter WHERE name = 'seq'), true)"
    )


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "UPDATE counter SET value = (SELECT last_value FROM record_seq) WHERE name = 'seq'"
    )
    op.execute("DROP SEQUENCE IF EXISTS record_seq")
