"""Every route with a path parameter answers an empty, very long or odd value
with 404 (nothing has that id), 401 (a route whose token names its item) or
400 (a malformed number or name): never a 500, and never the caller's own
items for an empty id. (An empty last segment, `/automations/`, is the
collection's own route: not tried here.)"""
import urllib.parse

import pytest

ODD = ["", " ", "x" * 3000, "ü∂≈", "%00", "..", "aut_" + "9" * 40, "a b", "\u202e", "null"]
TOKEN_ROUTES = ("/trigger/{trigger_id}", "/runners/{runner_id}/heartbeat", "/runners/{runner_id}/claim",
                "/runs/{run_id}/session", "/runs/{run_id}/lease", "/runs/{run_id}/outcome")
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
