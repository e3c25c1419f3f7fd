"""staff directory: a ``staff`` record for every user who has none yet

From this revision every user is also a ``staff`` record (``server.services.users``), sent
to every signed-in device so walkabout participants are picked by name. Users created before
it get theirs here, each with the next ``seq`` so every device's next pull brings them. The
references of cases and repairs need no schema: they are ``counter`` rows made on first use
(``server.services.references``).

Revision ID: 0003_partners
Revises: 0003_load
Create Date: 2026-12-01 21:00:00.000000

"""
import json
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003_partners'
down_revision: Union[str, Sequence[str], None] = '0003_load'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_RECORD = sa.table(
    'record',
    sa.column('entity'), sa.column('id'), sa.column('version'), sa.column('seq'),
    sa.column('deleted'), sa.column('data'), sa.column('needs_review'),
    sa.column('created_by_device'), sa.column('updated_by_device'),
    sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    """Upgrade schema."""
    conn = op.get_bind()
    have = set(conn.execute(sa.text("SELECT id FROM record WHERE entity = 'staff'")).scalars())
    users = [
        u for u in conn.execute(
            sa.text("SELECT id, name, role, patch_ids FROM app_user ORDER BY created_at, id")
        ).all()
        if u[0] not in have
    ]
    if not users:
        return
    # New positions as the server takes them (``server.db.take_seqs``): the counter row on
    # SQLite, the ``record_seq`` sequence on PostgreSQL.
    if conn.dialect.name == "sqlite":
        top = conn.execute(
            sa.text("UPDATE counter SET value = value + :n WHERE name = 'seq' RETURNING value"),
            {"n": len(users)},
        ).scalar_one()
        seqs = list(range(int(top) - len(users) + 1, int(top) + 1))
    else:
        seqs = sorted(int(v) for v in conn.execute(
            sa.text("SELECT nextval('record_seq') FROM generate_series(1, :n)"),
            {"n": len(users)},
        ).scalars())
    now = datetime.now(timezone.utc)
    rows = []
    for n, (user_id, name, role, patch_ids) in enumerate(users):
        ids = json.loads(patch_ids or "[]")
        data = {"id": user_id, "display_name": name, "role": role,
                "patch_ids": ids if isinstance(ids, list) else [], "active": True}
        rows.append({
            "entity": "staff", "id": user_id, "version": 1, "seq": seqs[n], "deleted": False,
            "data": json.dumps(data, separators=(",", ":")), "needs_review": False,
            "created_by_device": "server", "updated_by_device": "server",
            "created_at": now, "updated_at": now,
        })
    op.bulk_insert(_RECORD, rows)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DELETE FROM record WHERE entity = 'staff'")
