"""The client and the server's `/openapi.json` cannot drift apart.

Every operation of the JSON API (`/api/…`, `/healthz`, `/readyz`) has a client endpoint, every
client endpoint is an operation of the server, the names it sends are parameters the server
declares (and it can send every required one), and the TypedDict it promises has the fields of the
response schema, nested ones included.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import httpx
import pytest

from istok_client import Client, Endpoint, Parts, endpoints
from istok_client.calls import endpoint
from istok_client.parsing import JsonObject
from tests.api.conftest import Live

JSON_API = ("/api/", "/healthz", "/readyz")


@pytest.fixture(scope="module")
def spec(istok: Live) -> dict[str, Any]:
    return dict(httpx.get(f"{istok.base}/openapi.json", timeout=30).raise_for_status().json())


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        if path.startswith(JSON_API)
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete", "head"}
    }


def _params(operation: dict[str, Any], where: str) -> dict[str, bool]:
    return {p["name"]: bool(p.get("required")) for p in operation.get("parameters", []) if p["in"] == where}


def test_every_api_operation_has_a_client_endpoint_and_every_endpoint_exists(spec: dict[str, Any]) -> None:
    server = set(_operations(spec))
    client = {(e.method, e.path) for e in endpoints(Client)}
    missing = sorted(f"{m} {p}" for m, p in server - client)
    unknown = sorted(f"{m} {p}" for m, p in client - server)
    assert not missing, f"operations the client lacks (add an @endpoint to istok_client/operations.py): {missing}"
    assert not unknown, f"client endpoints the server does not have: {unknown}"


@pytest.mark.parametrize("endpoint", endpoints(Client), ids=lambda e: e.name)
def test_an_endpoint_sends_only_parameters_the_server_declares(
    endpoint: Endpoint[Any, Any], spec: dict[str, Any]
) -> None:
    operation = _operations(spec).get((endpoint.method, endpoint.path))
    assert operation is not None, f"{endpoint.method} {endpoint.path} is not in the server's spec"
    assert set(endpoint.path_names) == set(_params(operation, "path"))
    query = _params(operation, "query")
    assert set(endpoint.query) <= set(query), f"undeclared query parameters: {set(endpoint.query) - set(query)}"
    required = {name for name, needed in query.items() if needed}
    assert required <= set(endpoint.query), f"required query parameters never sent: {required - set(endpoint.query)}"
    headers = {name.lower() for name in _params(operation, "header")}
    assert {h.lower() for h in endpoint.headers} <= headers


@pytest.mark.parametrize("endpoint", endpoints(Client), ids=lambda e: e.name)
def test_an_endpoint_promises_the_fields_of_the_response_schema(
    endpoint: Endpoint[Any, Any], spec: dict[str, Any]
) -> None:
    operation = _operations(spec).get((endpoint.method, endpoint.path))
    assert operation is not None, f"{endpoint.method} {endpoint.path} is not in the server's spec"
    model = getattr(endpoint.parse, "model", None)
    success = [r for code, r in operation["responses"].items() if code.startswith("2")]
    if model is None:  # no JSON model: a 204, a free-form object or a channel's own media type
        return
    schema = next(r["content"]["application/json"]["schema"] for r in success if "content" in r)
    if getattr(endpoint.parse, "many", False):
        assert schema.get("type") == "array", f"{endpoint.name}: the server answers one item, not a list"
        schema = schema["items"]
    added = set(getattr(endpoint.parse, "extra", {}))  # read from headers (`etag`, `replayed`), not the body
    problems = _compare(model, schema, spec, added=added, where=endpoint.name)
    assert not problems, "\n".join(problems)


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _compare(model: Any, schema: dict[str, Any], spec: dict[str, Any], *, added: set[str], where: str) -> list[str]:
    """Differences between a TypedDict and an object schema, following nested TypedDicts.

    A key the schema lacks is allowed only if the parser adds it from a header, or if it is
    optional (an `etag` a list item does not carry).
    """
    schema = _resolve(schema, spec)
    props: dict[str, Any] = schema.get("properties", {})
    hints = typing.get_type_hints(model)
    problems = []
    if missing := set(props) - set(hints):
        problems.append(f"{where}: {model.__name__} lacks {sorted(missing)}")
    if unknown := (set(hints) - set(props) - added) & model.__required_keys__:
        problems.append(f"{where}: {model.__name__} promises {sorted(unknown)}, which the server does not send")
    if loose := set(schema.get("required", [])) & model.__optional_keys__:
        problems.append(f"{where}: {model.__name__} makes required fields optional: {sorted(loose)}")
    for name in set(props) & set(hints):
        for nested, sub in _nested(hints[name], props[name], spec):
            problems += _compare(nested, sub, spec, added=set(), where=f"{where}.{name}")
    return problems


def _nested(hint: Any, schema: dict[str, Any], spec: dict[str, Any]) -> list[tuple[Any, dict[str, Any]]]:
    """(TypedDict, its object schema) pairs inside a field: through None, lists and dict values."""
    if typing.is_typeddict(hint):
        objects = [s for s in schema.get("anyOf", [schema]) if "properties" in _resolve(s, spec)]
        return [(hint, objects[0])] if objects else []
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return [pair for arg in args if arg is not type(None) for pair in _nested(arg, schema, spec)]
    branches = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    if origin is list and branches and "items" in branches[0]:
        return _nested(args[0], branches[0]["items"], spec)
    if origin is dict and branches and isinstance(branches[0].get("additionalProperties"), dict):
        return _nested(args[1], branches[0]["additionalProperties"], spec)
    return []


def test_a_call_sending_an_undeclared_name_is_refused_so_the_declarations_above_hold() -> None:
    class Sloppy:
        @endpoint("GET", "/api/v1/search", parse=JsonObject(), query=("q",))
        def sloppy(self, q: str) -> Parts:
            return Parts(query={"q": q, "sneaky": 1})

        @endpoint("GET", "/api/v1/cases/{case_id}", parse=JsonObject())
        def pathless(self) -> Parts:
            return Parts()

    with pytest.raises(TypeError, match="sneaky"):
        Sloppy.sloppy.call("x")
    with pytest.raises(TypeError, match="case_id"):
        Sloppy.pathless.call()
