"""blob_owner and blob_upload: photo bytes belong to who sent them; uploads to their device

``blob_owner`` lists, for every complete blob, the (device, user) pairs that sent all of its
bytes or were entitled to name it; a ``photo`` record gives read access to its blob only when
its creator is one of them. ``blob_upload`` holds each upload in progress per device, for the
per-device quota and the expiry of abandoned uploads.

Existing blobs are credited to the creator of the earliest photo record naming them
(by ``seq``): before that record existed nobody but the device holding the bytes could have
known their SHA-256, so the first claimant is the device that took the photo. Old partial
uploads (``partial/{sha}.part``, shared by every device) are not carried over: their files
expire like any abandoned upload.

Revision ID: 0003_sec_blobs
Revises: 0002
Create Date: 2026-12-01 21:00:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003_sec_blobs"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "blob_owner",
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("how", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "device_id", "user_id"),
    )
    op.create_table(
        "blob_upload",
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "device_id", "user_id"),
    )
    with op.batch_alter_table("blob_upload", schema=None) as batch_op:
        batch_op.create_index("ix_blob_upload_device", ["device_id"], unique=False)
    # The earliest photo record (deleted or not) naming each complete blob vouches for it.
    op.execute(
        """
        INSERT INTO blob_owner (sha256, device_id, user_id, how, created_at)
        SELECT r.photo_sha256, r.created_by_device, r.created_by_user, 'upload', b.created_at
        FROM blob b
        JOIN record r ON r.entity = 'photo' AND r.photo_sha256 = b.sha256
        WHERE r.created_by_device IS NOT NULL AND r.created_by_user IS NOT NULL
          AND r.seq = (SELECT MIN(r2.seq) FROM record r2
                       WHERE r2.entity = 'photo' AND r2.photo_sha256 = b.sha256)
        """
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("blob_upload", schema=None) as batch_op:
        batch_op.drop_index("ix_blob_upload_device")
    op.drop_table("blob_upload")
    op.drop_table("blob_owner")
