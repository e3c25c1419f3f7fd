"""The sync bodies as pydantic models, for the OpenAPI document only.

The push and pull routes read and write JSON text themselves (``routes/sync.py``): the hand
parser is faster on a 500-mutation body and keeps per-mutation refusals (a bad mutation is a
``rejected`` result, not a ``422`` of the whole push); ``bench/push_parse_bench.py`` measures
it against these models. So the models here validate nothing on the hot path: they put the
bodies of ``docs/sync-protocol.md`` into ``/api/v1/openapi.json`` for a partner's IT team.

The per-entity models are generated from ``protocol.ENTITIES``, so the document names every
entity and field the server knows, with its type, value set, length and read-only mark.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import models_json_schema

from fieldapp.sync.protocol import (
    ENTITIES,
    MAX_MUTATIONS_PER_PUSH,
    SCHEMA_VERSION,
)
from fieldapp.sync.protocol import Entity as EntitySpec
from fieldapp.sync.protocol import Field as FieldSpec

_TYPES: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "datetime": str,
    "date": str,
    "list": list[Any],
    "dict": dict[str, Any],
    "any": Any,
}
_FORMATS = {"datetime": "date-time", "date": "date"}

Id = Annotated[str, Field(min_length=1, max_length=64)]
ServerTime = Annotated[
    str,
    Field(
        description="The server's clock, UTC, ISO 8601 with Z", examples=["2026-06-10T12:00:00Z"]
    ),
]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _literal(value: str) -> Any:
    """``Literal[value]`` for a name known only at run time (the registry's)."""
    return cast(Any, Literal)[value]


def _field(spec: FieldSpec, *, patch: bool) -> tuple[Any, Any]:
    """A registry field as an optional model field with its documented constraints."""
    extra: dict[str, Any] = {}
    if spec.enum is not None and spec.type == "list":
        extra["items"] = {"enum": list(spec.enum)}
    elif spec.enum is not None:
        extra["enum"] = [*spec.enum, None]  # null clears the field (refused if required)
    if spec.type in _FORMATS:
        extra["format"] = _FORMATS[spec.type]
    if spec.derived:
        extra["readOnly"] = True
    notes = []
    if spec.required and not patch:
        notes.append("required on create, never null")
    elif spec.required:
        notes.append("required when the mutation creates the record; never null")
    if spec.derived:
        notes.append("derived by the server")
    if spec.restricted:
        notes.append("personal data: absent for pcso and councillor")
    if spec.ref:
        notes.append(f"the id of a {spec.ref}")
    info = Field(
        default=None,
        max_length=spec.max_length,
        ge=spec.minimum,
        le=spec.maximum,
        description="; ".join(notes) or None,
        json_schema_extra=extra or None,
    )
    return (_TYPES[spec.type] | None, info)


def _record_model(entity: EntitySpec) -> type[BaseModel]:
    fields = {f.name: _field(f, patch=False) for f in entity.fields}
    model = create_model(  # type: ignore[call-overload]
        f"{_camel(entity.name)}Record",
        __config__=ConfigDict(extra="allow"),
        __doc__=f"One {entity.name} record as served (projected for the caller's role).",
        **fields,
    )
    return cast(type[BaseModel], model)


def _patch_model(entity: EntitySpec) -> type[BaseModel]:
    fields = {f.name: _field(f, patch=True) for f in entity.fields if f.name in entity.writable}
    model = create_model(  # type: ignore[call-overload]
        f"{_camel(entity.name)}Patch",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"The {entity.name} fields this edit changed (writable fields only).",
        **fields,
    )
    return cast(type[BaseModel], model)


RECORDS: dict[str, type[BaseModel]] = {name: _record_model(e) for name, e in ENTITIES.items()}
PATCHES: dict[str, type[BaseModel]] = {name: _patch_model(e) for name, e in ENTITIES.items()}


def _mutation_model(name: str) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "mutation_id": (Id, Field(description="Client-made; a replay returns the stored result")),
        "device_seq": (int | None, Field(default=None, description="Informational: outbox order")),
        "entity": (_literal(name), ...),
        "id": (Id, Field(description="The record's id (client-made, UUIDv7 preferred)")),
        "op": (Literal["upsert", "delete"], ...),
        "base_version": (
            int | None,
            Field(default=None, ge=0, description="The version the device last saw; null if new"),
        ),
        "patch": (
            PATCHES[name] | None,
            Field(default=None, description="Absent or {} for a delete"),
        ),
        "client_time": (
            str | None,
            Field(default=None, description="Informational; a conflict's proposed_at"),
        ),
    }
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{_camel(name)}Mutation", __doc__=f"One outbox entry for a {name}.", **fields
    )
    return model


def _change_model(name: str) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "entity": (_literal(name), ...),
        "id": (Id, ...),
        "version": (int, Field(ge=1)),
        "deleted": (bool, ...),
        "data": (RECORDS[name], ...),
    }
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{_camel(name)}Change",
        __doc__=f"A {name} in its latest state (or its tombstone).",
        **fields,
    )
    return model


def _one_of(models: list[type[BaseModel]]) -> Any:
    """A union of per-entity models told apart by their ``entity``."""
    union: Any = models[0]
    for model in models[1:]:
        union = union | model
    return Annotated[union, Field(discriminator="entity")]


Mutation = _one_of([_mutation_model(name) for name in ENTITIES])
Change = _one_of([_change_model(name) for name in ENTITIES])
EntityName = Annotated[str, Field(json_schema_extra={"enum": list(ENTITIES)})]


class PushRequest(BaseModel):
    """``POST /api/v1/sync/push``: a batch of outbox mutations, applied in order."""

    device_id: str | None = Field(
        default=None, description="If present, the device the token was issued to"
    )
    schema_version: int = Field(
        description=f"{SCHEMA_VERSION} or {SCHEMA_VERSION - 1}; a JSON integer",
        examples=[SCHEMA_VERSION],
    )
    lean: bool = Field(
        default=False, description="true: lean results (what the device does not already hold)"
    )
    mutations: list[Mutation] = Field(  # type: ignore[valid-type]
        max_length=MAX_MUTATIONS_PER_PUSH,
        description=f"At most {MAX_MUTATIONS_PER_PUSH}; one result each, in order",
    )


class MutationError(BaseModel):
    """Why a mutation was refused (``code`` is one of the error table's)."""

    code: str
    message: str
    detail: list[dict[str, Any]] | None = Field(
        default=None, description="For field validation: [{field, code, message}]"
    )


class MutationResult(BaseModel):
    """What became of one mutation."""

    mutation_id: str | None = Field(description="null when the mutation had none")
    status: Literal["applied", "merged", "conflict", "rejected"]
    version: int | None = Field(description="The record's version after it; null if rejected")
    record: dict[str, Any] | None = Field(
        description="The record as the caller may see it (its entity's Record schema); "
        "null when rejected or deleted"
    )
    conflicts: list[dict[str, Any]] = Field(description="ConflictRecord objects filed by it")
    error: MutationError | None


class PushResponse(BaseModel):
    """The answer to a push whose envelope was readable: one result per mutation."""

    results: list[MutationResult]
    server_time: ServerTime


class Remove(BaseModel):
    """A record that left the caller's scope: the device deletes its copy."""

    entity: EntityName
    id: Id


class PullResponse(BaseModel):
    """One page of ``GET /api/v1/sync/pull``."""

    changes: list[Change]  # type: ignore[valid-type]
    removes: list[Remove]
    next_cursor: str = Field(description="Opaque; send it with the next pull")
    has_more: bool = Field(description="true: pull again at once with next_cursor")
    server_time: ServerTime


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, snake_case: the table of docs/sync-protocol.md")
    message: str = Field(description="A sentence for a person; may change")
    detail: Any = Field(default=None, description="null or structured help")


class ErrorBody(BaseModel):
    """Every error response's body."""

    error: ErrorDetail
    server_time: ServerTime


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json_of(model: type[BaseModel]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": _ref(model)}}}


def operation(
    *, ok: type[BaseModel], request: type[BaseModel] | None = None, errors: tuple[int, ...] = ()
) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads and writes its JSON itself: the request body,
    the ``200`` answer and each error status, as references to ``install``'s components."""
    extra: dict[str, Any] = {"responses": {"200": {"description": "OK", **_json_of(ok)}}}
    for status in errors:
        extra["responses"][str(status)] = {"description": "An error", **_json_of(ErrorBody)}
    if request is not None:
        extra["requestBody"] = {"required": True, **_json_of(request)}
    return extra


def components() -> dict[str, Any]:
    """Every model above (and the per-entity ones they use) as OpenAPI component schemas."""
    _, top = models_json_schema(
        [(m, "validation") for m in (PushRequest, PushResponse, PullResponse, ErrorBody)],
        ref_template="#/components/schemas/{model}",
    )
    defs: dict[str, Any] = top["$defs"]
    return defs


def install(app: FastAPI) -> None:
    """Add ``components()`` to the app's OpenAPI document when it is first built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = build()  # FastAPI's, kept as app.openapi_schema
            doc.setdefault("components", {}).setdefault("schemas", {}).update(components())
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
