"""The device's SQLite schema as SQLModel tables, generated from the wire registry.

One table per entity of ``fieldapp.sync.protocol.ENTITIES``, its columns named exactly as the
wire fields, plus two sync columns: ``version`` (the server version this device knows; NULL
for a record the server has never acknowledged) and ``deleted`` (a local delete waiting to be
pushed). Times are kept as their ISO wire text, lists/objects as JSON text, so a row converts
to a wire dict without parsing. Beside them: the ``outbox`` of mutations, ``meta`` (key/value
device state), ``blob_upload`` (photo files waiting to reach the server) and ``resync_seen``
(mark-and-sweep bookkeeping of a ``410`` re-download, so an interrupted one loses nothing).
Generating the entity tables from the registry means a field added there is a column here.
"""

from __future__ import annotations

import types
from typing import Any, Final

from sqlalchemy import JSON, Boolean, Column, Float, Index, Integer, MetaData, Text
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from fieldapp.sync.protocol import ENTITIES, FieldType


class DeviceModel(SQLModel):
    """Base of the device tables: their own MetaData, apart from the server's tables of the
    same names (both are imported in one test process)."""

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
_PY_TYPES: Final[dict[FieldType, Any]] = {
    "str": str | None,
    "int": int | None,
    "float": float | None,
    "bool": bool | None,
    "datetime": str | None,
    "date": str | None,
    "list": list[Any] | None,
    "dict": dict[str, Any] | None,
    "any": Any,
}
# Columns stored as JSON text: decoded on read, encoded on write.
JSON_TYPES: Final = frozenset({"list", "dict", "any"})


def _sql_type(t: FieldType) -> TypeEngine[Any]:
    if t in JSON_TYPES:
        # none_as_null: a missing value is SQL NULL, the same as the raw executemany path writes.
        return JSON(none_as_null=True)
    return _SQL_TYPES[t]()


def _entity_table(entity: str) -> type[DeviceModel]:
    spec = ENTITIES[entity]

    def body(ns: dict[str, Any]) -> None:
        ann: dict[str, Any] = {}
        ns["__tablename__"] = entity
        for f in spec.fields:
            ann[f.name] = str if f.name == "id" else _PY_TYPES[f.type]
            if f.name == "id":
                ns["id"] = Field(sa_column=Column("id", Text, primary_key=True))
            else:
                ns[f.name] = Field(default=None, sa_column=Column(f.name, _sql_type(f.type)))
        ann["version"] = int | None
        ns["version"] = Field(default=None, sa_column=Column("version", Integer))
        ann["deleted"] = bool
        ns["deleted"] = Field(
            default=False, sa_column=Column("deleted", Boolean, nullable=False, default=False)
        )
        ns["__annotations__"] = ann
        # Lookups the derive code and the views make: by parent / reference, and by estate.
        indexed = [f.name for f in spec.fields if f.name != "id" and f.ref is not None]
        indexed += [n for n in ("parent_id", "estate") if n in spec.by_name]
        ns["__table_args__"] = tuple(Index(f"ix_{entity}_{n}", n) for n in indexed)

    class_name = "".join(part.title() for part in entity.split("_")) + "Row"
    return types.new_class(class_name, (DeviceModel,), {"table": True}, body)


ENTITY_TABLES: Final[dict[str, type[DeviceModel]]] = {
    name: _entity_table(name) for name in ENTITIES
}


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


class ResyncSeen(DeviceModel, table=True):
    """Records delivered during a re-download; the rest of the synced rows are swept at its end."""

    __tablename__ = "resync_seen"
    entity: str = Field(primary_key=True)
    id: str = Field(primary_key=True)


def create_all(engine: Any) -> None:
    """Create every device table (and index) that does not exist yet."""
    DeviceModel.metadata.create_all(engine)
