"""Every route with a path parameter answers an empty, very long or odd value
with 404 (nothing has that id), 401 (a route whose token names its item) or
400 (a malformed number or name): never a 500, and never the caller's own
items for an empty id. (An empty last segment, `/automations/`, is the
collection's own route: not tried here.) A monitoring tool's hook with an odd
id is a 404 too, whatever its body.

Query parameters likewise: an odd value (a digit that is not ASCII, a time
at the very edge of the calendar, a very long one) is a 400 or is read,
never a 500."""
import urllib.parse

import pytest

from tests.conftest import rule_body

ODD = ["", " ", "x" * 3000, "ü∂≈", "%00", "..", "aut_" + "9" * 40, "a b", "\u202e", "null"]
TOKEN_ROUTES = ("/trigger/{trigger_id}", "/runners/{runner_id}/heartbeat", "/runners/{runner_id}/claim",
                "/runs/{run_id}/session", "/runs/{run_id}/lease", "/runs/{run_id}/outcome",
                "/runs/{run_id}/tools/{name}")
CONSOLE = "/ai-sre/"


def _routes():
    from app import app
    for path, methods in sorted(app.routes.items()):
        if "{" in path:
            for method in sorted(methods):
                yield path, method


@pytest.mark.parametrize("path,method", list(_routes()), ids=lambda x: x)
def test_odd_path_parameters_are_a_404_400_or_401(api, owner, path, method):
    assert path.startswith(CONSOLE) or len(path) > 1
    for value in ODD:
        if value == "" and path.endswith("}"):
            continue  # `/automations/` is the collection's own route, not this one with an empty id
        concrete = path
        for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
            concrete = concrete.replace(f"{{{name}}}", urllib.parse.quote(value, safe=""))
        if path.startswith(CONSOLE):  # pages and assets, not JSON
            answer = api.client.http.request(method, concrete, headers={})
            code, data = answer.status_code, answer.body[:80]
        else:
            code, data = api.call(method, concrete, owner, body={} if method in ("POST", "PUT", "PATCH") else None)
        allowed = {401} if path in TOKEN_ROUTES else {400, 404}
        if path.startswith(CONSOLE):
            allowed = {200, 404}  # the console's browser routes answer its shell; an unknown asset is a 404
        assert code in allowed, (method, concrete[:80], code, data)


# Values a parser may choke on: digits int() does not take or that are not ASCII, times whose UTC is before
# year 1 or after 9999 (or whose default window would be), a very long one, and control characters.
ODD_QUERY = ["\u00b2", "\u0663", "1e3", "-1", " 7", "0001-01-01T00:30:00+01:00", "0001-01-02T00:00:00Z",
             "9999-12-31T23:00:00-05:00", "9999-12-31T23:59:59Z", "x" * 3000, "\u202e", "%00", "null"]


def _query_operations():
    """(path, parameter) of every API GET that reads query parameters, from the document."""
    from chalicelib.http import openapi
    for path, ops in sorted(openapi.document("http://testserver")["paths"].items()):
        get = ops.get("get", {})
        if path.startswith(CONSOLE):
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] == "query":
                yield path, parameter["name"]


@pytest.mark.parametrize("path,name", list(_query_operations()), ids=lambda x: x)
def test_odd_query_values_are_a_400_or_read_never_a_500(api, owner, path, name):
    automation = api.ok("POST", "/automations", owner, rule_body(), status=201)["automation"]["id"]
    api.ok("POST", "/events", owner, {"event": "alert.firing", "resource": {"id": "a1"},
                                      "payload": {"name": "DiskFull"}}, status=202)
    known = {"automation_id": automation, "source": "events", "fingerprint": "a1"}  # so the query is read
    concrete = path
    for part in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        concrete = concrete.replace(f"{{{part}}}", known.get(part, "x"))
    for value in ODD_QUERY:
        code, data = api.call("GET", f"{concrete}?{name}={urllib.parse.quote(value, safe='')}", owner)
        assert code in (200, 400, 404), (path, name, value[:40], code, data)
        if name == "limit" and (concrete == path or path in ("/automations/{automation_id}/runs",
                                                              "/alerts/{source}/{fingerprint}")):
            assert code == 400, (path, value, data)  # not an integer 1-200 in ASCII digits
