"""Schemathesis hooks for tests/test_contract.py (loaded through
SCHEMATHESIS_HOOKS): every request authenticates as the account owner, and the
fuzzer cannot lock itself out.

Three operations can destroy the credentials the run depends on:
`POST /api-keys/rotate` (the caller's key stops working), `DELETE
/api-keys/{key_id}` and `DELETE /users/{user_id}/api-keys`. They are fuzzed like
every other operation; after each of them both keys of the run (the owner's
and a spare admin's) are checked, and whichever stopped working is issued again
with the other. One call revokes keys of at most one user, so one of the two
always survives.

The hooks (`POST /hooks/…`) take no API key but the integration's own
secret: every delivery goes to the run's Alertmanager integration with its
token (a body that is another vendor's payload goes elsewhere: 404, or 401
at an integration the fuzzer found), so its payloads are parsed, refused
(400) or stored; rotating or deleting that integration is fuzzed too, and
the hooks follow (its new secret, or a new integration)."""
import json
import os
from datetime import UTC, datetime, timedelta

import requests
import schemathesis
from jsonschema import Draft202012Validator

# {"url", "owner": {"id", "key"}, "spare": {"id", "key"}, "integration": {"id", "secret"}}
_KEYS = json.loads(os.environ["CONTRACT_KEYS"])
_DOC = requests.get(f"{_KEYS['url']}/openapi.json", timeout=10).json()
_ALERTMANAGER = Draft202012Validator({"$ref": "#/components/schemas/AlertmanagerPayload",
                                      "components": _DOC["components"]})
_ANY_VENDOR = Draft202012Validator({"$ref": "#/components/schemas/HookPayload", "components": _DOC["components"]})
_INTEGRATION_PATHS = ("/integrations/{integration_id}", "/integrations/{integration_id}/rotate")
_DESTRUCTIVE = {("POST", "/api-keys/rotate"), ("DELETE", "/api-keys/{key_id}"),
                ("DELETE", "/users/{user_id}/api-keys")}


def _works(key: str) -> bool:
    return requests.get(f"{_KEYS['url']}/me", headers={"Authorization": f"Bearer {key}"}, timeout=10).ok


def _reissue(lost: str, rescuer: str) -> None:
    user = _KEYS[lost]["id"]
    answer = requests.post(f"{_KEYS['url']}/users/{user}/api-keys", timeout=10,
                           headers={"Authorization": f"Bearer {_KEYS[rescuer]['key']}"})
    answer.raise_for_status()
    _KEYS[lost]["key"] = answer.json()["api_key"]


@schemathesis.auth(refresh_interval=None)  # no caching: the owner's key may have just been issued again
class OwnerKey:
    """The owner's current API key as a bearer token."""

    def get(self, case, context):
        return _KEYS["owner"]["key"]

    def set(self, case, data, context):
        if case.operation.path.startswith("/hooks/"):  # a monitoring tool: the integration's token, not a key
            data = _KEYS["integration"]["secret"]
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _new_integration() -> None:
    answer = requests.post(f"{_KEYS['url']}/integrations", json={"type": "alertmanager", "name": "contract"},
                           headers={"Authorization": f"Bearer {_KEYS['owner']['key']}"}, timeout=10)
    answer.raise_for_status()
    _KEYS["integration"] = {"id": answer.json()["integration"]["id"], "secret": answer.json()["secret"]}


@schemathesis.hook
def after_call(context, case, response):
    if (case.method.upper(), case.operation.path) in _DESTRUCTIVE:
        for lost, rescuer in (("owner", "spare"), ("spare", "owner")):
            if not _works(_KEYS[lost]["key"]):
                _reissue(lost, rescuer)
    if case.operation.path in _INTEGRATION_PATHS and response.status_code in (200, 204) and \
            (case.path_parameters or {}).get("integration_id") == _KEYS["integration"]["id"]:
        if case.method.upper() == "DELETE":
            _new_integration()
        elif case.operation.path.endswith("/rotate"):
            _KEYS["integration"]["secret"] = response.json()["secret"]


@schemathesis.hook
def map_query(context, query):
    # `cursor` is a token the service issued (next_cursor); a generated one is refused (400), as the document
    # says, which the positive checks would count as a valid request rejected. Pages are tested in
    # tests/test_history.py and tests/test_events.py; here the cursor is left out.
    if query and "cursor" in query:
        query = {k: v for k, v in query.items() if k != "cursor"}
    return query


def _instant(value):
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None



def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(query: dict, longest: timedelta = timedelta(days=179)) -> dict:
    # A window is at most 180 days long (the operations reads': 31) and its since is before its until ("since
    # must be before until").
    since, until = _instant(query.get("since")), _instant(query.get("until"))
    if not (since and since.tzinfo) or (until and not until.tzinfo):
        return query
    end = until or datetime.now(UTC)
    if since >= end or end - since > longest:
        query = {**query, "since": _stamp(end - timedelta(days=1))}
    return query


def _hook(case) -> None:
    # A delivery goes to the run's Alertmanager integration unless its body is only another vendor's payload,
    # which goes anywhere else (an id a link found answers 401 to our token; a generated one 404).
    body, seeded = case.body, _KEYS["integration"]["id"]
    params = case.path_parameters or {}
    if _ALERTMANAGER.is_valid(body) or not _ANY_VENDOR.is_valid(body):
        case.path_parameters = {**params, "integration_id": seeded}
    elif params.get("integration_id") == seeded:
        case.path_parameters = {**params, "integration_id": "int_" + "0" * 20}  # no integration has it


def _integration_body(body: dict, update: bool) -> dict:
    # A team must be one of the account's (the fuzzing account has none); a signing secret can only be stored
    # on a vendor that signs, and the integrations an update reaches are Alertmanager's.
    if body.get("team_id") not in (None, 0):
        body = {**body, "team_id": 0}
    if update:
        body = {k: v for k, v in body.items() if k != "signing_secret"}
    return body


_CREDENTIAL = ("authorization", "cookie", "token", "secret", "password", "key", "credential")


def _mcp_body(body: dict) -> dict:
    # A team must be one of the account's (it has none); a header that names a secret names one the account
    # lacks, and one that looks like a credential must name a secret: the generated headers keep only the
    # plain ones that do not.
    if body.get("team_id") not in (None, 0):
        body = {**body, "team_id": 0}
    if isinstance(body.get("headers"), dict):
        body = {**body, "headers": {k: v for k, v in body["headers"].items() if isinstance(v, str)
                                    and not any(word in k.lower() for word in _CREDENTIAL)}}
    return body


_MODEL_URL = "https://models.example.com/v1"


def _agent_body(body: dict, update: bool) -> dict:
    # The fuzzing account has no teams; a base_url's address literal must pass the outbound guard (a generated
    # one is any address), so it is one public URL. An update meets a stored backend the body does not say:
    # a body with model fields says openai, with what openai needs.
    body = {**body, "team_id": 0} if body.get("team_id") not in (None, 0) else body
    if isinstance(body.get("base_url"), str):
        body = {**body, "base_url": _MODEL_URL}
    if update:  # removing a stored profile's model or endpoint is refused where its backend needs them
        body = {k: v for k, v in body.items() if not (k in ("model", "base_url") and v is None)}
    if update and body.get("backend") is None and any(body.get(k) is not None for k in ("model", "base_url",
                                                                                          "api_key_secret")):
        body = {**body, "backend": "openai"}
    if update and body.get("backend") == "openai":
        body = {**body, "model": body.get("model") or "gpt-test", "base_url": body.get("base_url") or _MODEL_URL}
    if update and body.get("backend") in ("builtin", "bedrock"):
        dropped = ("model", "base_url", "api_key_secret") if body["backend"] == "builtin" else ("base_url",
                                                                                              "api_key_secret")
        body = {k: v for k, v in body.items() if k not in dropped}
    return body


def _hours(body: dict) -> dict:
    # Business hours start before they end.
    hours = body.get("business_hours")
    if isinstance(hours, dict) and all(isinstance(hours.get(k), int) for k in ("start", "end")) and \
            not hours["start"] < hours["end"]:
        start = min(hours["start"], hours["end"], 23)
        body = {**body, "business_hours": {**hours, "start": start, "end": start + 1}}
    return body


def _pattern(value):
    # A pattern that may match the service's own run events (automation.*, a leading wildcard or only a
    # negation) must come with match resource.id naming the automations watched; automation.run.queued is
    # only for `after`. Such a generated pattern is swapped for an ordinary one.
    if isinstance(value, list):
        return [_pattern(v) for v in value]
    if isinstance(value, str) and (value.startswith(("automation", "*", "!")) or "*" in value.split(".")[0]):
        return "incident.triggered"
    return value


def _rule(body: dict) -> dict:
    # A team rule's owner must be a member of its team (the fuzzing owner is in none); at most one trigger
    # of each type.
    # An environment's runner must serve the rule's scope (the fuzzed ones are of random teams); an
    # agent_id must name a profile of the account (a generated one names none: the account's default).
    if body.get("team_id") not in (None, 0):
        body = {**body, "team_id": 0}
    if isinstance(body.get("environment"), dict) and ("runner_id" in body["environment"]
                                                      or body["environment"].get("type") == "runner"):
        body = {**body, "environment": {"type": "auto"}}
    if body.get("agent_id") is not None:
        body = {**body, "agent_id": None}
    triggers, seen = [], set()
    for trigger in body["triggers"] if isinstance(body.get("triggers"), list) else []:
        kind = trigger.get("type") if isinstance(trigger, dict) else None
        if not isinstance(kind, str):  # a malformed trigger is left as generated (refused as it is)
            triggers.append(trigger)
            continue
        if kind in seen:
            continue
        seen.add(kind)
        if kind == "event":
            trigger = {**trigger, **{k: _pattern(trigger[k]) for k in ("expect", "after") if k in trigger}}
        if kind == "schedule" and isinstance(trigger.get("cron"), str):
            trigger = {**trigger, "cron": _cron(trigger["cron"])}
        triggers.append(trigger)
    if isinstance(body.get("actions"), list):
        body = {**body, "actions": [_action(a, "event" in seen) for a in body["actions"]]}
    if isinstance(body.get("mcp_server_ids"), list):  # a generated id names no server of the account
        body = {**body, "mcp_server_ids": []}
    return {**body, "triggers": triggers} if "triggers" in body else body


_DAYS_IN = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _cron(value: str) -> str:
    # A custom cron's day-of-month occurs in its month (the cron schema says so in words): 31 in month 9 is
    # refused, as a schedule that would never run. Such a generated one runs on the 1st instead.
    parts = value.split()
    if len(parts) == 4 and parts[1].isascii() and parts[1].isdigit() and parts[2].isascii() and \
            parts[2].isdigit() and parts[3] == "*" and 1 <= int(parts[2]) <= 12 and \
            int(parts[1]) > _DAYS_IN[int(parts[2]) - 1]:
        return " ".join([parts[0], "1", parts[2], parts[3]])
    return value


def _action(action, has_event_trigger: bool):
    # `on: triggered` only in an automation with an event trigger. A control action's automation must be
    # one the saver may edit: a generated id names none, so the generated run_automation becomes a
    # cancel_run and a pause/resume acts on the automation of the event.
    if not isinstance(action, dict):
        return action
    if not has_event_trigger and isinstance(action.get("on"), (list, str)):
        on = [o for o in ([action["on"]] if isinstance(action["on"], str) else action["on"]) if o != "triggered"]
        action = {**action, "on": on or ["failed"]}
    if action.get("type") == "webhook" and isinstance(action.get("payload"), str):
        action = {**action, "payload": {"text": action["payload"]}}  # a string payload must render to JSON
    if action.get("type") not in ("run_automation", "pause_automation", "resume_automation"):
        return action
    action = {k: v for k, v in action.items() if k not in ("automation_id", "text")}
    return {**action, "type": "cancel_run"} if action["type"] == "run_automation" else action


def _event(event):
    # An event's occurred is at most an hour ahead of the service's clock.
    occurred = _instant(event.get("occurred")) if isinstance(event, dict) else None
    if occurred and occurred.tzinfo and occurred > datetime.now(UTC) + timedelta(minutes=50):
        event = {**event, "occurred": _stamp(datetime.now(UTC))}
    return event


@schemathesis.hook
def before_call(context, case, **kwargs):
    """The rules the document states in words that JSON Schema cannot say (they compare two fields, or a
    field with the clock) are kept by every generated case, in every phase; a request breaking them is
    refused with 400, which tests/test_history.py, tests/test_events.py and tests/test_api_automations.py
    check."""
    path = case.operation.path
    if isinstance(case.query, dict):
        case.query = _window(case.query, timedelta(days=30) if path in ("/incidents", "/changes") else
                             timedelta(days=179))
    if path.startswith("/hooks/"):
        _hook(case)
        return
    body = case.body
    if isinstance(body, dict) and path in ("/automations", "/automations/{automation_id}"):
        case.body = _rule(body)
    elif isinstance(body, dict) and path in ("/integrations", "/integrations/{integration_id}"):
        case.body = _integration_body(body, update=path != "/integrations")
    elif isinstance(body, dict) and path in ("/mcp-servers", "/mcp-servers/{mcp_server_id}"):
        case.body = _mcp_body(body)
    elif isinstance(body, dict) and path in ("/knowledge", "/knowledge/{document_id}"):
        # the fuzzing account has no teams: a document is personal
        case.body = {**body, "team_id": 0} if body.get("team_id") not in (None, 0) else body
    elif isinstance(body, dict) and path in ("/agents", "/agents/{agent_id}"):
        case.body = _agent_body(body, update=path != "/agents")
    elif isinstance(body, dict) and path == "/account/settings":
        case.body = _hours(body)
    elif isinstance(body, list):
        case.body = [_event(e) for e in body]
    elif isinstance(body, dict) and isinstance(body.get("event"), str):
        case.body = _event(body)
    elif isinstance(body, dict) and isinstance(body.get("event"), dict):
        case.body = {**body, "event": _event(body["event"])}
