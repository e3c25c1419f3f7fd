"""The API's map: the push and pull bodies are in the OpenAPI document, generated from the
registry, and they describe what the server really sends and takes.

The document is built with ``app.openapi()`` (serving it over HTTP is a setting of its own).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from fieldapp.ids import new_id
from fieldapp.sync.protocol import ENTITIES, MAX_MUTATIONS_PER_PUSH
from server import create_app
from server.schemas import ErrorBody, PullResponse, PushRequest, PushResponse
from server.settings import Settings
from tests.server.conftest import Cast, new_case
from tests.support.api import mutation

SYNC = "/api/v1/sync"


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    where = tmp_path_factory.mktemp("openapi")
    app = create_app(Settings(database_url=f"sqlite:///{where / 'x.db'}", secret_key="k"))
    built: dict[str, Any] = app.openapi()
    app.state.engine.dispose()
    return built


def _schema(doc: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[1]
    found: dict[str, Any] = doc["components"]["schemas"][name]
    return found


def _json(operation: dict[str, Any], status: str = "200") -> dict[str, Any]:
    schema: dict[str, Any] = operation["responses"][status]["content"]["application/json"]["schema"]
    return schema


def test_push_takes_and_answers_the_documented_bodies(doc: dict[str, Any]) -> None:
    push = doc["paths"][f"{SYNC}/push"]["post"]
    body = _schema(doc, push["requestBody"]["content"]["application/json"]["schema"])
    assert set(body["properties"]) == {"device_id", "schema_version", "lean", "mutations"}
    assert body["properties"]["mutations"]["maxItems"] == MAX_MUTATIONS_PER_PUSH
    answer = _schema(doc, _json(push))
    assert set(answer["properties"]) == {"results", "server_time"}
    for status in ("400", "401", "403", "413", "422"):
        assert _schema(doc, _json(push, status))["title"] == "ErrorBody"


def test_every_entity_has_a_mutation_a_patch_a_record_and_a_change(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    mutations = schemas["PushRequest"]["properties"]["mutations"]["items"]["discriminator"]
    changes = schemas["PullResponse"]["properties"]["changes"]["items"]["discriminator"]
    assert set(mutations["mapping"]) == set(ENTITIES)
    assert set(changes["mapping"]) == set(ENTITIES)
    assert schemas["Remove"]["properties"]["entity"]["enum"] == list(ENTITIES)
    for name, entity in ENTITIES.items():
        mutation_schema = _schema(doc, {"$ref": mutations["mapping"][name]})
        assert mutation_schema["properties"]["entity"]["const"] == name
        change = _schema(doc, {"$ref": changes["mapping"][name]})
        record = _schema(doc, change["properties"]["data"])
        assert list(record["properties"]) == list(entity.names), name
        patch_ref = mutation_schema["properties"]["patch"]["anyOf"][0]
        patch = _schema(doc, patch_ref)
        assert list(patch["properties"]) == list(entity.writable), name
        assert patch["additionalProperties"] is False
        read_only = {f for f, s in record["properties"].items() if s.get("readOnly")}
        assert read_only == set(entity.derived), name


def test_value_sets_and_limits_come_from_the_registry(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    case = schemas["AsbCasePatch"]["properties"]
    spec = ENTITIES["asb_case"].by_name
    assert case["category"]["enum"] == [*(spec["category"].enum or ()), None]
    assert case["description"]["anyOf"][0]["maxLength"] == spec["description"].max_length
    assert "required" in case["category"]["description"]
    visit = schemas["TenancyVisitPatch"]["properties"]["referrals"]
    assert visit["items"]["enum"] == list(ENTITIES["tenancy_visit"].by_name["referrals"].enum or ())


def test_pull_declares_its_query_parameters(doc: dict[str, Any]) -> None:
    pull = doc["paths"][f"{SYNC}/pull"]["get"]
    params = {p["name"]: p for p in pull["parameters"] if p["in"] == "query"}
    assert set(params) == {"cursor", "limit", "omit_own", "schema_version"}
    assert all(p["description"] and not p["required"] for p in params.values())
    assert params["limit"]["schema"]["minimum"] == 1
    assert params["limit"]["schema"]["default"] == 1000
    assert params["omit_own"]["schema"]["enum"] == ["0", "1"]
    page = _schema(doc, _json(pull))
    assert set(page["properties"]) == {
        "changes",
        "removes",
        "next_cursor",
        "has_more",
        "server_time",
    }
    assert _schema(doc, _json(pull, "410"))["title"] == "ErrorBody"


def test_the_schemas_describe_what_the_server_sends(app_cast: Cast) -> None:
    with app_cast.api("north1") as a:
        rid, patch = new_case(property_id=app_cast.homes["100000000001"])
        body = {
            "device_id": a.device_id,
            "schema_version": 1,
            "mutations": [mutation("asb_case", rid, patch), mutation("nonsense", new_id())],
        }
        PushRequest.model_validate({**body, "mutations": body["mutations"][:1]})
        pushed = a.post("/sync/push", body)
        assert pushed.status_code == 200, pushed.text
        answer = PushResponse.model_validate(pushed.json())
        assert [r.status for r in answer.results] == ["applied", "rejected"]
        seen: set[str] = set()
        cursor = None
        while True:  # every page of the shared server, each as documented
            page = a.get("/sync/pull", params={"cursor": cursor} if cursor else {})
            assert page.status_code == 200
            pulled = PullResponse.model_validate(page.json())
            seen.update(c.id for c in pulled.changes)  # type: ignore[attr-defined]
            cursor = pulled.next_cursor
            if not pulled.has_more:
                break
        assert rid in seen
        refused = a.get("/sync/pull", params={"limit": 0})
        assert refused.status_code == 422
        ErrorBody.model_validate(refused.json())


def test_the_documented_push_body_refuses_what_the_server_refuses() -> None:
    good = {"entity": "asb_case", "id": "r1", "mutation_id": "m1", "op": "upsert", "patch": {}}
    PushRequest.model_validate({"schema_version": 1, "mutations": [good]})
    for bad in (
        {**good, "entity": "nonsense"},
        {**good, "patch": {"no_such_field": 1}},
        {**good, "patch": {"priority": 1}},  # derived: read-only
        {**good, "op": "replace"},
    ):
        with pytest.raises(ValidationError):
            PushRequest.model_validate({"schema_version": 1, "mutations": [bad]})
