"""The server's tables (SQLModel), apart from the wire schemas of ``fieldapp.sync.protocol``.

Every entity lives in one generic ``record`` table, so push, pull and projection are driven
by the registry and a field added there needs no migration. Hot paths (push, pull) use the
Core tables (``Record.__table__``); the models are the schema and serve the simple routes.
JSON is stored as text so a pull page can splice it into the response without re-encoding.
Times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Table, Text, text
from sqlmodel import Field, SQLModel

Tz = DateTime(timezone=True)


def _partial(name: str, column: str, *more: str) -> Index:
    """An index of the rows where ``column`` is set (SQLite and PostgreSQL alike)."""
    where = text(f"{column} IS NOT NULL")
    return Index(name, column, *more, sqlite_where=where, postgresql_where=where)


# The latest state of every record of every entity, with what scopes it.
class Record(SQLModel, table=True):
    __tablename__ = "record"
    __table_args__ = (
        Index("ix_record_seq", "seq"),
        Index("ix_record_patch_seq", "patch_id", "seq"),
        # Partial: most records have no walkabout, estate or blob, and an index entry for
        # each NULL would only slow every write down.
        _partial("ix_record_walkabout", "walkabout_id"),
        _partial("ix_record_parent", "parent_id"),
        _partial("ix_record_estate", "estate", "entity"),
        _partial("ix_record_sha256", "photo_sha256"),
    )
    entity: str = Field(primary_key=True, max_length=40)
    id: str = Field(primary_key=True, max_length=64)
    version: int
    seq: int = Field(sa_type=BigInteger)
    deleted: bool = False
    data: str = Field(sa_type=Text)  # the wire-form record as JSON text
    patch_id: str | None = Field(default=None, max_length=64)  # owner patch (officer scope)
    walkabout_id: str | None = Field(default=None, max_length=64)  # partner scope
    estate: str | None = Field(default=None, max_length=200)  # property / walkabout estate
    parent_id: str | None = Field(default=None, max_length=64)  # per PARENT_LINKS
    photo_sha256: str | None = Field(default=None, max_length=64)  # blob a photo names
    needs_review: bool = False
    private: str | None = Field(default=None, sa_type=Text)  # server-only JSON, never sent
    created_by_device: str | None = Field(default=None, max_length=64)
    created_by_user: str | None = Field(default=None, max_length=64)
    updated_by_device: str | None = Field(default=None, max_length=64)
    updated_by_user: str | None = Field(default=None, max_length=64)
    # The device whose push result carried exactly this version (``omit_own`` pulls leave
    # the record out for it); NULL after any other write. See ``WriteBatch.flush``.
    echo_device: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=Tz)
    updated_at: datetime = Field(sa_type=Tz)


# Every version of every record: the fields it changed, old and new, and who wrote it.
class Revision(SQLModel, table=True):
    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_record", "entity", "record_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=40)
    record_id: str = Field(max_length=64)
    version: int
    seq: int = Field(sa_type=BigInteger)
    device_id: str | None = Field(default=None, max_length=64)
    user_id: str | None = Field(default=None, max_length=64)
    mutation_id: str | None = Field(default=None, max_length=64)
    changes: str = Field(sa_type=Text)  # {"field": [old, new]}; "_deleted" for deletions
    created_at: datetime = Field(sa_type=Tz)


# Every mutation the server has handled, for idempotent replay.
class AppliedMutation(SQLModel, table=True):
    __tablename__ = "applied_mutation"
    mutation_id: str = Field(primary_key=True, max_length=64)
    payload_hash: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    device_id: str = Field(max_length=64)
    result: str = Field(sa_type=Text)  # the result JSON as first returned
    created_at: datetime = Field(sa_type=Tz)


# Named counters; ``seq`` is taken inside each writing transaction (its row lock orders commits).
class Counter(SQLModel, table=True):
    __tablename__ = "counter"
    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(default=0, sa_type=BigInteger)


# Facts about this database, such as its epoch (a cursor from another database is refused).
class Meta(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)


# A record that left a patch (reassigned), so that patch's devices get it in ``removes``.
class ScopeExit(SQLModel, table=True):
    __tablename__ = "scope_exit"
    __table_args__ = (
        Index("ix_scope_exit_seq", "seq"),
        Index("ix_scope_exit_record", "record_id"),  # has this record ever left a patch?
    )
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=40)
    record_id: str = Field(max_length=64)
    old_patch_id: str | None = Field(default=None, max_length=64)
    seq: int = Field(sa_type=BigInteger)


# Which users a walkabout's participants name: the partner scope.
class WalkaboutMember(SQLModel, table=True):
    __tablename__ = "walkabout_member"
    __table_args__ = (Index("ix_walkabout_member_user", "user_id"),)
    walkabout_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=64)


# A person who signs in: role and patches (ids) decide what they see and may write.
class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: str = Field(primary_key=True, max_length=64)
    username: str = Field(unique=True, max_length=100)
    password_hash: str = Field(max_length=300)
    role: str = Field(max_length=20)
    name: str = Field(max_length=200)
    patch_ids: str = Field(default="[]", sa_type=Text)  # JSON list of patch record ids
    created_at: datetime = Field(sa_type=Tz)
    # Set by ``disable-user``: sign-in is refused and every token was deleted.
    disabled_at: datetime | None = Field(default=None, sa_type=Tz)


# A tablet; revoking it ends every token it holds and makes it wipe its data.
class Device(SQLModel, table=True):
    __tablename__ = "device"
    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=Tz)
    last_seen: datetime | None = Field(default=None, sa_type=Tz)
    revoked_at: datetime | None = Field(default=None, sa_type=Tz)


# A bearer token, stored as a hash only.
class SessionToken(SQLModel, table=True):
    __tablename__ = "session_token"
    __table_args__ = (Index("ix_session_token_device", "device_id"),)
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=64)
    device_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=Tz)
    expires_at: datetime = Field(sa_type=Tz)


# Reads of personal data (pulls, exports, reports): who saw which record, when, from where.
class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_user", "user_id", "at"),
        Index("ix_audit_log_record", "record_id", "entity"),  # "who looked at this case?"
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=Tz)
    user_id: str = Field(max_length=64)
    device_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    record_id: str = Field(max_length=64)


# A photo file held by ``server/blobs.py``: its upload progress and what it is.
class Blob(SQLModel, table=True):
    __tablename__ = "blob"
    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    received: int = 0
    complete: bool = False
    content_type: str | None = Field(default=None, max_length=100)
    width: int | None = None
    height: int | None = None
    created_at: datetime = Field(sa_type=Tz)


# Who uploaded (or was entitled to name) a complete blob: a photo record reads its bytes only
# when its creating device and user are here (``server/services/blob_access.py``).
class BlobOwner(SQLModel, table=True):
    __tablename__ = "blob_owner"
    sha256: str = Field(primary_key=True, max_length=64)
    device_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=64)
    how: str = Field(max_length=10)  # "upload" (sent every byte) or "reader" (could read it)
    created_at: datetime = Field(sa_type=Tz)


# An upload in progress, which belongs to the device (and user) that started it: quota and
# expiry are counted here; its bytes are ``partial/{key}/{sha}.part`` (``server/blobs.py``).
class BlobUpload(SQLModel, table=True):
    __tablename__ = "blob_upload"
    __table_args__ = (Index("ix_blob_upload_device", "device_id"),)
    sha256: str = Field(primary_key=True, max_length=64)
    device_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_type=BigInteger)  # the declared TOTAL
    received: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(sa_type=Tz)
    updated_at: datetime = Field(sa_type=Tz)


def table(model: type[SQLModel]) -> Table:
    """The Core table of a model, for bulk statements."""
    tbl = model.__table__  # type: ignore[attr-defined]
    assert isinstance(tbl, Table)
    return tbl


RECORD = table(Record)
REVISION = table(Revision)
APPLIED = table(AppliedMutation)
COUNTER = table(Counter)
META = table(Meta)
SCOPE_EXIT = table(ScopeExit)
MEMBER = table(WalkaboutMember)
USER = table(User)
DEVICE = table(Device)
TOKEN = table(SessionToken)
AUDIT = table(AuditLog)
BLOB = table(Blob)
BLOB_OWNER = table(BlobOwner)
BLOB_UPLOAD = table(BlobUpload)
