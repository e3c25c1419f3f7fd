"""The device's SQLite schema: entity tables generated from the wire registry, and SQLModel
bookkeeping tables.

One table per entity of ``fieldapp.sync.protocol.ENTITIES``, its columns named exactly as the
wire fields, plus two sync columns: ``version`` (the server version this device knows; NULL
for a record the server has never acknowledged) and ``deleted`` (a local delete waiting to be
pushed). Times are kept as their ISO wire text, lists/objects as JSON text, so a row converts
to a wire dict without parsing. Beside them: the ``outbox`` of mutations, ``meta`` (key/value
device state), ``blob_upload`` (photo files waiting to reach the server), ``photo_cache``
(picture files kept on the tablet, for the cache budget) and ``resync_seen``
(mark-and-sweep bookkeeping of a ``410`` re-download, so an interrupted one loses nothing).
Generating the entity tables from the registry means a field added there is a column here;
``fieldapp.store.schema`` brings a file made by an earlier release up to these tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import JSON, Boolean, Column, Float, Index, Integer, MetaData, Table, Text
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from fieldapp.sync.protocol import ENTITIES, Entity, FieldType


class DeviceModel(SQLModel):
    """Base of the device's bookkeeping tables: their own MetaData, apart from the server's
    tables of the same names (both are imported in one test process)."""

    metadata = MetaData()


# Per-row columns every entity table has besides its wire fields.
SYNC_COLUMNS: Final = ("version", "deleted")

_SQL_TYPES: Final[dict[FieldType, type[TypeEngine[Any]]]] = {
    "str": Text,
    "int": Integer,
    "float": Float,
    "bool": Boolean,
    "datetime": Text,  # ISO 8601 wire text: sorts correctly since every time is UTC "Z"
    "date": Text,
    "list": JSON,
    "dict": JSON,
    "any": JSON,
}
# Columns stored as JSON text: decoded on read, encoded on write.
JSON_TYPES: Final = frozenset({"list", "dict", "any"})


def _sql_type(t: FieldType) -> TypeEngine[Any]:
    if t in JSON_TYPES:
        # none_as_null: a missing value is SQL NULL, the same as the raw executemany path writes.
        return JSON(none_as_null=True)
    return _SQL_TYPES[t]()


def entity_table(spec: Entity, metadata: MetaData) -> Table:
    """The table of one entity in ``metadata``: its wire fields in order, then SYNC_COLUMNS."""
    columns = [
        Column("id", Text, primary_key=True)
        if f.name == "id"
        else Column(f.name, _sql_type(f.type))
        for f in spec.fields
    ]
    columns.append(Column("version", Integer))
    columns.append(Column("deleted", Boolean, nullable=False, default=False))
    # Lookups the derive code and the views make: by parent / reference, and by estate.
    indexed = [f.name for f in spec.fields if f.name != "id" and f.ref is not None]
    indexed += [n for n in ("parent_id", "estate") if n in spec.by_name]
    indexes = [Index(f"ix_{spec.name}_{n}", n) for n in indexed]
    return Table(spec.name, metadata, *columns, *indexes)


class Outbox(DeviceModel, table=True):
    """One local write waiting to be pushed (``pending``) or refused by the server (``dead``)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_record", "entity", "record_id", "state"),)
    mutation_id: str = Field(primary_key=True)
    device_seq: int = Field(sa_column=Column("device_seq", Integer, nullable=False, unique=True))
    entity: str
    record_id: str
    op: str  # upsert | delete
    base_version: int | None = None
    patch: dict[str, Any] = Field(sa_column=Column("patch", JSON, nullable=False))
    client_time: str
    state: str = "pending"  # pending | dead
    error: dict[str, Any] | None = Field(default=None, sa_column=Column("error", JSON))
    attempts: int = 0  # times sent: an unsent mutation may still be folded into


class Meta(DeviceModel, table=True):
    """Device state as text: device_id, device_seq, cursor, token, user, server_url, hlc."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str | None = None


class BlobUpload(DeviceModel, table=True):
    """A photo file this device holds and whether the server has it yet."""

    __tablename__ = "blob_upload"
    sha256: str = Field(primary_key=True)
    path: str
    size: int
    uploaded: bool = False


class PhotoCache(DeviceModel, table=True):
    """A picture file kept on this tablet (``thumb`` or ``full``) and when it was last looked at.

    Files downloaded from the server and the tablet's own photos once uploaded are listed here;
    the oldest-viewed go first when the cache is over its budget (``fieldapp.store.photo_cache``).
    """

    __tablename__ = "photo_cache"
    sha256: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)  # thumb | full
    size: int
    viewed_at: str  # wire time; downloads count as a view


class ResyncSeen(DeviceModel, table=True):
    """Records delivered during a re-download; the rest of the synced rows are swept at its end."""

    __tablename__ = "resync_seen"
    entity: str = Field(primary_key=True)
    id: str = Field(primary_key=True)


def device_metadata(entities: Mapping[str, Entity] = ENTITIES) -> MetaData:
    """Every table (and index) of a device file whose entities are ``entities``."""
    metadata = MetaData()
    for table in DeviceModel.metadata.tables.values():
        table.to_metadata(metadata)
    for spec in entities.values():
        entity_table(spec, metadata)
    return metadata
