"""GET /openapi.json: a valid OpenAPI 3.1 document that describes exactly the
routes the app serves."""
from openapi_spec_validator import validate


def test_document_is_valid_and_public(api):
    code, doc = api.call("GET", "/openapi.json")
    assert code == 200
    validate(doc)
    assert doc["servers"] == [{"url": "http://testserver"}]


def test_every_route_is_described_and_nothing_else(api):
    from app import app
    _, doc = api.call("GET", "/openapi.json")
    served = {(path, method.lower()) for path, entry in app.routes.items() for method in entry}
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served == described


def test_public_routes_are_marked_and_others_need_a_key(api):
    _, doc = api.call("GET", "/openapi.json")
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if path in ("/health", "/openapi.json") or path.startswith("/ai-sre/"):  # the console's pages
                assert op["security"] == []
            elif path.startswith("/trigger/"):
                assert op["security"] == [{"triggerToken": []}]
            elif path.endswith(("/heartbeat", "/claim")):
                assert op["security"] == [{"runnerToken": []}]
            elif path.startswith("/runs/") and path.endswith(("/session", "/lease", "/outcome")):
                assert op["security"] == [{"leaseToken": []}]
            else:
                assert "security" not in op and "401" in op["responses"], (path, method)
