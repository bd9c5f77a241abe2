"""The OpenAPI 3 document of this API, served at GET /openapi.json.

Kept beside the routes by tests/test_openapi.py, which checks that every route
of app.py is described here and nothing else is.
"""
import re
from copy import deepcopy
from zoneinfo import available_timezones

from chalicelib import __version__, secrets, settings, validation
from chalicelib.actions import control, email, pagerduty, registry, run_automation, twilio, webhook
from chalicelib.agents import profiles as agent_profiles
from chalicelib.events import ingest, triggers
from chalicelib.identity import directory
from chalicelib.mcp import servers as mcp_servers
from chalicelib.ops import integrations as ops_integrations
from chalicelib.ops import queries as ops_queries
from chalicelib.ops import tools as ops_tools
from chalicelib.ops.arrivals import INCIDENT_STATUSES, INCIDENT_WHATS
from chalicelib.ops.vendors import VENDORS
from chalicelib.rules import schedule, templates
from chalicelib.rules import validation as rule_validation
from chalicelib.runs import records

_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time"}
_NTIME = {"type": ["string", "null"], "format": "date-time"}
_NULL_STR = {"type": ["string", "null"]}
_QTIME = {"anyOf": [_TIME, {"type": "string", "maxLength": 0, "description": "Empty: the default"}]}
# The limits the server checks, stated once here so the document says exactly what is refused.
_TEAM_ID = {"type": "integer", "minimum": 0, "maximum": directory.MAX_TEAM_ID, "description": "0 = personal"}
_LIMIT = {"type": "integer", "minimum": 1, "maximum": validation.MAX_LIMIT, "default": validation.DEFAULT_LIMIT}
# Not blank: a name is trimmed, and must keep a character that is not whitespace.
# Python's \s (what the server strips and refuses) has \x1c-\x1f and \x85 besides ECMA's \s.
_SPACE = r"\s\x1c-\x1f\x85"
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": f"[^{_SPACE}]"}
_MCP_SERVER_IDS = {"type": ["array", "null"], "maxItems": mcp_servers.MAX_PER_AUTOMATION,
                   "items": {"type": "string"},
                   "description": "MCP servers its runs may use: of the whole account or of its own team "
                                  "(null or []: none)"}
_EMAIL = {"type": "string", "maxLength": 254,
          "pattern": f"^[{_SPACE}]*[^@{_SPACE}]{{1,64}}@[^@{_SPACE}]+\\.[^@{_SPACE}]+[{_SPACE}]*$",
          "description": "Trimmed and lower-cased"}
_SECRET_NAME = {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"}


_OUTCOME = {"enum": list(registry.OUTCOMES)}
_PATTERN = {"type": "string", "pattern": triggers.PATTERN.pattern}
_MATCH = {"type": "string", "minLength": 1, "maxLength": 255}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props, required=()):
    return {"type": "object", "properties": props, **({"required": list(required)} if required else {})}


def _template(most=4000):
    return {"type": ["string", "null"], "minLength": 1, "maxLength": most, "description": "A template"}


_SECRET_REF = {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$",
               "description": "The name of a secret written with PUT /secrets/{name}"}
_AUTOMATION_REF = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$",
                   "description": "An automation id (aut_…) the saver may edit"}
_END = r"(?![\s\S])"  # the end of the text in every regex dialect (Python's `$` also passes a trailing newline)


def _any_case(word: str) -> str:
    """`word` as a regex matching it in any letter case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# Each action setting's shape, by name (a name means the same thing in every action type that has it).
_SETTINGS = {
    "url": {"type": "string", "maxLength": 2048, "pattern": "^https?://[^/?#\\s@:]+",
            "description": "http(s) URL; an address literal must not be an internal address"},
    "method": {"enum": list(webhook.METHODS), "default": "POST"},
    "payload": {"type": ["string", "object", "array", "null"],
                "description": "A JSON template (a string), or JSON whose strings are templates; not with GET"},
    "headers": {"type": ["object", "null"], "maxProperties": 20,
                "propertyNames": {"pattern": "^(?!(?:" + "|".join(map(_any_case, webhook.RESERVED_HEADERS)) + ")$)"
                                  + webhook.HEADER_NAME.pattern + _END,
                                  "description": "An HTTP header name, not one the service sets itself"},
                "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 1000}},
    "webhook_url_secret": _SECRET_REF, "routing_key_secret": _SECRET_REF, "auth_token_secret": _SECRET_REF,
    "message": _template(), "title": _template(500), "subject": _template(email.MAX_SUBJECT),
    "body": _template(20_000), "summary": _template(pagerduty.MAX_SUMMARY),
    "dedup_key": _template(pagerduty.MAX_DEDUP_KEY),
    "text": _template(run_automation.MAX_TEXT), "reason": _template(control.MAX_REASON), "run_id": _template(200),
    "to_emails": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"type": "string",
                                                                          "pattern": email.EMAIL.pattern}},
    "phone_numbers": {"type": "array", "minItems": 1, "maxItems": 20,
                      "items": {"type": "string", "pattern": twilio.PHONE.pattern}},
    "account_sid": {"type": "string", "pattern": twilio.ACCOUNT.pattern},
    "messaging_service_sid": {"type": ["string", "null"], "pattern": twilio.SERVICE.pattern},
    "from_number": {"type": ["string", "null"], "pattern": twilio.SENDER.pattern},
    "severity": {"enum": list(pagerduty.SEVERITIES), "default": "error"},
    "event_action": {"enum": list(pagerduty.EVENT_ACTIONS), "default": "auto"},
    "automation_id": _AUTOMATION_REF}
_TYPE_SETTINGS = {"twilio": {"message": _template(twilio.MAX_TEXT)}}  # one SMS body
_REQUIRED = {"webhook": ["url"], "slack": ["webhook_url_secret"], "teams": ["webhook_url_secret"],
             "email": ["to_emails"], "twilio": ["account_sid", "auth_token_secret", "phone_numbers"],
             "pagerduty": ["routing_key_secret"], "run_automation": ["automation_id"]}


def _action(cls):
    """One action type's schema: the common fields and its own settings, nothing else."""
    props = {"type": {"const": cls.type},
             "on": {"anyOf": [{"type": "array", "minItems": 1, "items": _OUTCOME}, _OUTCOME],
                    "description": "The outcomes that fire it (one, or a list); default [\"failed\"]; triggered "
                                   "only in an automation with an event trigger"},
             "retries": {"type": "integer", "minimum": 0, "maximum": registry.MAX_RETRIES,
                         "description": "Tries again on a transient failure"},
             "saved_by": {"description": "Control actions: the user who saved it, whose rights it acts with (set "
                                         "by the service; a value sent in is ignored)"},
             **{name: _SETTINGS[name] for name in cls.fields}, **_TYPE_SETTINGS.get(cls.type, {})}
    schema = {**_obj(props, ["type", *_REQUIRED.get(cls.type, [])]), "additionalProperties": False}
    if cls.type == "twilio":  # a sender: the messaging service, a from number, or both
        schema["anyOf"] = [{"required": ["messaging_service_sid"], "properties": {"messaging_service_sid": _STR}},
                           {"required": ["from_number"], "properties": {"from_number": _STR}}]
    return schema


_CRON = {"type": "string", "pattern": r"^\s*(\*|[01]?\d|2[0-3])\s+(\*|0?[1-9]|[12]\d|3[01])\s+(\*|0?[1-9]|1[0-2])"
                                     r"\s+(\*|[0-7])\s*$",
         "description": "UTC 'hour day-of-month month day-of-week', each * or one number (no minute segment); "
                        "a day-of-month that never occurs in its month is refused"}
_IGNORED = {"description": "Not read in this mode"}


def _schedule(mode):
    """One mode of a schedule trigger: what it reads; the rest of the fields are ignored."""
    local = mode in ("daily", "weekly")
    props = {"type": {"const": "schedule"}, "mode": {"const": mode}, "hour": _IGNORED, "weekday": _IGNORED,
             "timezone": _IGNORED, "cron": _IGNORED}
    required = ["type", "mode"]
    if local:
        props["hour"] = {"type": "integer", "minimum": 0, "maximum": 23, "description": "The local hour"}
        props["timezone"] = {"enum": sorted(available_timezones()), "default": "UTC",
                             "description": "IANA zone: the local hour is kept all year, across DST changes"}
        required.append("hour")
    if mode == "weekly":
        props["weekday"] = {"type": "integer", "minimum": 0, "maximum": 7,
                            "description": "0 = Sunday (7 is Sunday too, stored as 0)"}
        required.append("weekday")
    if mode == "custom":  # a trigger with a cron and no mode is a custom one
        props.update(mode={"enum": ["custom", None]}, cron=_CRON,
                     timezone={"enum": list(schedule.UTC_NAMES), "description": "Custom crons are UTC"})
        required = ["type", "cron"]
    return {**_obj(props, required), "description": "Returned with its UTC cron (for daily/weekly: the UTC hour "
            "and weekday the next run starts in, which follows the zone's offset)"}


def _event_trigger(posture):
    """One posture of an event trigger, with the limits events/triggers.py checks."""
    patterns = {"anyOf": [{"type": "array", "minItems": 1, "maxItems": 20, "items": _PATTERN}, _PATTERN]}
    proactive = posture == "proactive"
    props = {
        "type": {"const": "event"}, "posture": {"const": posture},
        "expect": {**patterns, "description": "Event name patterns; * wildcard, ! negation"},
        "match": {"type": ["object", "null"], "maxProperties": 20,
                  "propertyNames": {"pattern": triggers.FIELD_PATH.pattern},
                  "additionalProperties": {"anyOf": [_MATCH, {"type": "array", "minItems": 1, "items": _MATCH}]},
                  "description": "Field filters: resource.<label>, payload.<key> or event -> a pattern or a "
                                 "list of patterns"},
        "for_each": {"type": ["array", "null"], "maxItems": 5, "items": {"type": "string",
                     "pattern": triggers.FIELD_PATH.pattern}, "description": "Count separately per these fields"},
        "threshold": {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1},
        "within": {"type": "integer", "minimum": 60 if proactive else 0, "maximum": triggers.MAX_WITHIN,
                   "default": 3600 if proactive else 0, "description": "Window in seconds"}}
    if proactive:
        props["after"] = {**patterns, "description": "The events that open a window"}
    else:
        props["after"] = {"type": "null", "description": "Proactive triggers only"}
    required = ["type", "expect", "posture"] + (["after"] if proactive else [])
    schema = _obj(props, required)
    if not proactive:  # reactive is the default posture
        schema = {"anyOf": [schema, {**_obj({k: v for k, v in props.items() if k != "posture"}, ["type", "expect"]),
                                     "not": {"required": ["posture"]}}]}
    return schema


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


_WORDS = {400: "Malformed input; the message names the field", 401: "Missing or invalid credential",
          403: "Known caller without the right", 404: "Not found or not visible",
          409: "State conflict", 413: "Body over its limit",
          415: "A Content-Type this route does not read (checked before the credential)",
          503: "Could not queue; retry"}


def _errors(*codes):
    return {str(c): {"description": _WORDS[c], **_json(_ref("Invalid" if c == 400 else "Error"))} for c in codes}


def _op(summary, ok_code, ok_schema, errors=(400, 401, 403, 404), body=None, params=(), auth=True,
        body_required=True):
    ok = {"description": "OK", **(_json(ok_schema) if ok_schema else {})}
    op = {"summary": summary, "responses": {str(ok_code): ok, **_errors(*errors)}}
    if body:
        op["requestBody"] = {"required": body_required, **_json(body)}
    if params:
        op["parameters"] = list(params)
    if not auth:
        op["security"] = []
    return op


def _path(name, desc="", schema=None):
    return {"name": name, "in": "path", "required": True, "description": desc, "schema": schema or _STR}


def _q(name, desc, schema=None):
    return {"name": name, "in": "query", "required": False, "description": desc, "schema": schema or _STR}


def _when_backend(backend: str, then: dict) -> dict:
    return {"if": {"required": ["backend"], "properties": {"backend": {"const": backend}}}, "then": then}


def _agent_schemas() -> dict:
    """Agent, AgentCreate, AgentUpdate and the profile in a run's work (WorkAgent)."""
    limits = {key: {"type": ["integer", "null"], "minimum": least, "maximum": most, "default": default,
                    "description": f"null: the default ({default})"}
              for key, (least, most, default) in agent_profiles.LIMITS.items()}
    fields = {"name": _NAME, "team_id": {"anyOf": [_TEAM_ID, {"type": "null"}],
                                         "description": "0 or null: the whole account's; a team id: that team's"},
              "backend": {"enum": list(agent_profiles.BACKENDS)},
              "model": {"type": ["string", "null"], "minLength": 1, "maxLength": 200, "pattern": f"[^{_SPACE}]",
                        "description": "openai: required; bedrock: the Converse model id (default: the deployment's)"
                                       "; builtin: not taken"},
              "base_url": {"type": ["string", "null"], "maxLength": 2048, "pattern": _SETTINGS["url"]["pattern"],
                           "description": "openai only, required there: the Chat Completions endpoint, http(s); an "
                                          "address literal the outbound guard refuses is 400"},
              "api_key_secret": {"type": ["string", "null"], "pattern": "^[A-Za-z0-9_.-]{1,128}" + _END,
                                 "description": "openai only: the NAME of the account secret holding the key "
                                                "(PUT /secrets/{name}); null: no key"},
              **limits, "default": {"type": ["boolean", "null"],
                                    "description": "true: the account's default profile (only an account-wide one); "
                                                   "false: no longer the default; null: unchanged"}}
    shown = {**fields, "id": _STR, "model": _NULL_STR, "base_url": _NULL_STR, "api_key_secret": _NULL_STR,
             "max_steps": _INT, "max_tokens": _INT, "default": _BOOL, "team_id": _INT,
             "created_at": _TIME, "created_by": _NULL_STR, "updated_at": _NTIME}
    return {
        "Agent": _obj(shown, ["id", "name", "team_id", "backend", "model", "base_url", "api_key_secret",
                              "max_steps", "max_tokens", "default", "created_at"]),
        # What each backend takes, and only an account-wide profile as the default.
        "AgentCreate": {**_obj(fields, ["name", "backend"]), "additionalProperties": False, "allOf": [
            _when_backend("openai", {"required": ["model", "base_url"],
                                     "properties": {"model": {"type": "string"}, "base_url": {"type": "string"}}}),
            _when_backend("builtin", {"properties": {k: {"type": "null"} for k in agent_profiles.MODEL_FIELDS}}),
            _when_backend("bedrock", {"properties": {k: {"type": "null"} for k in ("base_url", "api_key_secret")}}),
            {"if": {"required": ["default"], "properties": {"default": {"const": True}}},
             "then": {"properties": {"team_id": {"enum": [0, None]}}}}]},
        "AgentUpdate": {**_obj(fields), "additionalProperties": False},
        "WorkAgent": _obj({"id": _STR, "name": _STR, "backend": {"enum": list(agent_profiles.BACKENDS)},
                           "model": _NULL_STR, "base_url": _NULL_STR, "max_steps": _INT, "max_tokens": _INT,
                           "api_key": {"type": ["string", "null"],
                                       "description": "Read from the profile's secret as the run started (null: "
                                                      "no key, or the runner uses its own)"}},
                          ["id", "name", "backend", "max_steps", "max_tokens"]),
    }


_SCHEMAS = {
    # Chalice's error shape (Code, Message) with the members of RFC 9457 problem details.
    "Error": _obj({"Code": _STR,
                   "Message": {"type": "string", "description": "What was wrong, in words a user can act on"},
                   "type": {"type": "string", "description": "about:blank (the status says what kind)"},
                   "title": {"type": "string", "description": "The status in words"},
                   "status": {"type": "integer", "description": "The HTTP status"},
                   "detail": {"type": "string", "description": "The same as Message"}},
                  ["Code", "Message"]),
    "Invalid": {"allOf": [{"$ref": "#/components/schemas/Error"}, _obj({
        "errors": {"type": "array", "minItems": 1, "description": "What is wrong, field by field",
                   "items": _obj({"field": {"type": "string", "description": "Where in the request: a body field "
                                            "such as triggers[0].hour, a query or path parameter, a header, or "
                                            "body for the body as a whole"},
                                  "message": _STR}, ["field", "message"])}}, ["errors"])]},
    "User": _obj({"id": _STR, "email": _STR, "role": {"enum": ["owner", "admin", "member"]}}),
    "Team": _obj({"id": {"type": "integer", "minimum": 1}, "name": _STR}),
    "Runner": _obj({"id": _STR, "name": _STR, "team_id": _TEAM_ID,
                    "pool": {"type": "string", "description": "The set of runners it belongs to"},
                    "min_healthy": {"type": "integer", "description": "Pool health threshold"},
                    "last_heartbeat": _NTIME}),
    "Event": _obj({"id": _STR, "event": {"type": "string", "description": "Dotted name, e.g. incident.triggered"},
                   "occurred": _TIME, "received": _TIME,
                   "resource": {"type": "object", "required": ["id"], "properties": {"id": _STR},
                                "additionalProperties": True},
                   "related": {"type": "array", "items": {"type": "object"}}, "payload": {"type": "object"}},
                  ["id", "event", "occurred", "received", "resource", "related", "payload"]),
    "EventInput": _obj({
        "id": {"type": ["string", "null"], "pattern": "^[^:]{0,128}$",
               "description": "Up to 128 characters without ':'; a repeated id is accepted once (empty, null "
                              "or absent: the service picks one)"},
        "event": {"type": "string", "maxLength": 255,
                  "pattern": "^(?!" + re.escape(ingest.RESERVED_PREFIX) + ")" + ingest.NAME_PATTERN.lstrip("^"),
                  "description": "Dotted name, e.g. incident.triggered; names starting with 'automation.' are "
                                 "the service's own run events and refused"},
        "occurred": {"anyOf": [_TIME, {"type": "null"}],
                     "description": "Default: when received; at most an hour in the future"},
        "resource": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}},
                     "additionalProperties": True},
        "related": {"type": ["array", "null"], "maxItems": 20, "items": {
            "type": "object", "required": ["id"], "properties": {"id": _STR}, "additionalProperties": True}},
        "payload": {"type": ["object", "null"], "description": "At most 32 KiB as JSON"}},
        ["event", "resource"]),
    "Environment": {**_obj({"type": {"enum": ["auto", "cloud_sandbox", "runner"]}, "runner_id": _STR}, ["type"]),
                    "if": {"properties": {"type": {"const": "runner"}}}, "then": {"required": ["runner_id"]},
                    "description": "runner_id: a runner of the rule's team or an account-wide one"},
    "RunEnvironment": {"type": ["object", "null"], "description": "Where the run ran (null until placed; a run "
                       "waiting for a runner shows its pool)", "properties": {
                           "type": {"enum": ["cloud_sandbox", "runner"]}, "pool": _STR, "runner_id": _STR,
                           "runner_name": _STR}},
    "ApiKey": _obj({"id": _STR, "user_id": _STR, "created_at": _TIME, "hint": {"type": ["string", "null"]},
                    "current": {"type": "boolean", "description": "The key of this request"}}),
    "SessionItem": _obj({"seq": {"type": "integer", "minimum": 1}, "kind": {"enum": ["message", "tool_call",
                                                                                       "artifact"]},
                         "data": {"type": "string", "maxLength": 32000,
                                  "description": "The entry as JSON text, or one part of it"},
                         "part": {"type": "integer", "minimum": 0}, "parts": {"type": "integer", "minimum": 1}},
                        ["seq", "kind", "data"]),
    "Work": _obj({"run_id": _STR, "session_id": _STR, "attempt": _INT,
                  "automation": _obj({"id": _STR, "name": _STR}), "prompt": _STR,
                  "context": _obj({"text": _STR, "event": {
                      "anyOf": [_ref("Event"), {"type": "null"}],
                      "description": "The event that fired the run's event trigger (null for other triggers)"}}),
                  "recent_runs": {"type": "array", "items": {"type": "object"}},
                  "template_id": {"type": ["string", "null"],
                                  "description": "The preset the automation was made from: selects the builtin "
                                                 "analysis"},
                  "locale": {"enum": list(rule_validation.LOCALES),
                             "description": "The language of the builtin report"},
                  "knowledge": {"anyOf": [_ref("RunKnowledge"), {"type": "null"}],
                                "description": "The scope's knowledge that best matches the prompt, for the system "
                                               "prompt (null: none matches)"},
                  "tools": {"type": "array", "items": _ref("ToolSpec"),
                            "description": "The service's tools every backend offers (called with POST "
                                           "/runs/{run_id}/tools/{name})"},
                  "environment": {"type": "object"}, "first_seq": _INT,
                  "agent": {"anyOf": [_ref("WorkAgent"), {"type": "null"}],
                            "description": "The run's agent profile (null: the environment's own backend)"},
                  "lease": _obj({"token": {"type": "string", "description": "srels_…: this run, while held"},
                                 "seconds": _INT, "renew_seconds": _INT})}),
    **_agent_schemas(),
    "ScheduleTrigger": {"oneOf": [_schedule(mode) for mode in schedule.MODES]},
    "ApiTrigger": _obj({"type": {"const": "api"}, **{name: {"description": "Returned by the service; ignored when "
                                                                    "sent"} for name in ("id", "url", "token_hint")}},
                       ["type"]),
    "EventTrigger": {"oneOf": [_event_trigger("reactive"), _event_trigger("proactive")]},
    # As the service returns them: the input's fields, normalised (a reactive trigger has after [], a
    # schedule its UTC cron and zone, an api trigger its url and token hint).
    "StoredTrigger": {"type": "object", "required": ["type"], "properties": {
        "type": {"enum": ["schedule", "api", "event"]}, "mode": {"enum": ["hourly", "daily", "weekly", "custom"]},
        "cron": _STR, "timezone": _STR, "hour": _INT, "weekday": _INT, "id": _STR, "url": _STR, "token_hint": _STR,
        "posture": {"enum": ["reactive", "proactive"]}, "expect": {"type": "array", "items": _STR},
        "after": {"type": "array", "items": _STR}, "match": {"type": "object"},
        "for_each": {"type": "array", "items": _STR}, "threshold": _INT, "within": _INT}},
    "Trigger": {"oneOf": [_ref("ScheduleTrigger"), _ref("ApiTrigger"), _ref("EventTrigger")]},
    "Action": {"oneOf": [_action(cls) for cls in registry.ACTIONS.values()],
               "description": "One of the action types, each with its own settings. Text settings are "
                              "templates: {dotted.name} or Jinja2, sandboxed; a header value may name a secret "
                              "({secret.name})."},
    "Paused": {"type": ["object", "null"], "description": "Why a disabled automation is paused (null otherwise)",
               "properties": {"by": _obj({"kind": {"enum": ["automation", "user"]}, "id": _STR, "name": _STR}),
                              "run_id": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]},
                              "at": _TIME}},
    "WebhookSigning": _obj({
        "secret": {"type": "string", "description": "whsec_… (Standard Webhooks: base64 of 32 random bytes), "
                                                    "shown once"},
        "header": {"type": "string", "description": "webhook-signature, beside webhook-id and webhook-timestamp"},
        "scheme": _STR,
        "legacy_header": {"type": "string", "description": "X-Automation-Signature, still sent for one release "
                                                           "(signed with the current secret only)"},
        "legacy_scheme": _STR,
        "previous_valid_until": {**_TIME, "type": ["string", "null"],
                                 "description": "After a rotation: until when the secret it replaced still signs "
                                                "too (both signatures in webhook-signature); null: it replaced none"}},
        ["secret", "header", "scheme", "legacy_header", "legacy_scheme", "previous_valid_until"]),
    "AutomationInput": _obj({
        "name": _NAME, "team_id": _TEAM_ID,
        "environment": _ref("Environment"), "enabled": _BOOL,
        "task_prompt": {"type": "string", "minLength": 1, "pattern": f"[^{_SPACE}]",
                        "maxLength": settings.current().max_task_prompt_chars},
        "triggers": {"type": "array", "minItems": 1, "items": _ref("Trigger")},
        "template_id": {"type": ["string", "null"], "enum": [*templates.ids(), None],
                        "description": "Prefills name and task_prompt (overridable); see GET /automation-templates"},
        "overlap": {"enum": ["skip", "allow"],
                    "description": "A run due while the previous one still runs: skip it (default) or allow it"},
        "locale": {"enum": list(rule_validation.LOCALES),
                   "description": "The language of its builtin reports, and on create of the preset's texts "
                                  "(default: the Accept-Language language, else en-US)"},
        "actions": {"type": ["array", "null"], "maxItems": 20, "items": _ref("Action"),
                    "description": "null: none"},
        "mcp_server_ids": _MCP_SERVER_IDS,
        "agent_id": {"type": ["string", "null"], "minLength": 1,
                     "description": "The agent profile its runs use (GET /agents): account-wide or of its own "
                                    "team; null: the account's default profile, else the deployment's backend"}}),
    # Creating needs triggers, and a name and task prompt unless a template gives them.
    "AutomationCreate": {"allOf": [_ref("AutomationInput"), {"required": ["triggers"]}, {"anyOf": [
        {"required": ["template_id"], "properties": {"template_id": {"type": "string"}}},
        {"required": ["name", "task_prompt"]}]}]},
    "Automation": _obj({
        "id": _STR, "name": _STR, "team_id": _INT, "owner_id": _STR, "environment": _ref("Environment"),
        "task_prompt": _STR, "enabled": _BOOL, "can_edit": _BOOL, "overlap": {"enum": ["skip", "allow"]},
        "actions": {"type": "array", "items": _ref("Action")}, "paused": _ref("Paused"),
        "webhook_signing": {"type": ["object", "null"], "properties": {
            "secret_hint": _STR, "header": _STR,
            "previous_valid_until": {**_TIME, "type": ["string", "null"],
                                     "description": "While a rotation's grace lasts: until when the previous "
                                                    "secret still signs too"}},
                            "description": "The webhook signing secret's last characters (null: no webhook yet); "
                                           "a read never returns a secret"},
        "triggers": {"type": "array", "items": _ref("StoredTrigger")},
        "next_runs": {"type": "array", "items": _TIME, "description": "Next five UTC run times"},
        "next_runs_local": {"type": "array", "description": "The same runs in UTC and in the schedule's own zone "
                            "(UTC for hourly and custom), across DST changes",
                            "items": _obj({"utc": _TIME, "local": {"type": "string", "format": "date-time",
                                                                   "description": "With the zone's offset that day"},
                                           "timezone": _STR}, ["utc", "local", "timezone"])},
        "template_id": {"type": ["string", "null"]}, "locale": {"enum": list(rule_validation.LOCALES)},
        "mcp_server_ids": {"type": "array", "items": {"type": "string"},
                           "description": "The MCP servers its runs may use (docs/mcp.md)"},
        "agent_id": {"type": ["string", "null"], "description": "Its agent profile; null: the account's default"},
        "created_at": _TIME, "updated_at": _TIME}),
    "ApiTriggerSecret": _obj({"url": _STR, "token": {"type": "string", "description": "Shown once"}, "curl": _STR},
                             ["url", "token", "curl"]),
    "Template": _obj({"id": _STR, "name": _STR, "category": _STR, "task_prompt": _STR}),
    "Run": _obj({
        "id": _STR, "automation_id": _STR,
        "trigger": {"enum": ["schedule", "api", "event", "manual", "automation"]},
        "status": {"enum": ["queued", "running", "retrying", "succeeded", "partial", "failed", "skipped", "abandoned"]},
        "reason": {"type": ["string", "null"]}, "scheduled_for": _NTIME, "created_at": _TIME,
        "started_at": _NTIME, "finished_at": _NTIME, "duration_ms": {"type": ["integer", "null"]},
        "session_id": {"type": ["string", "null"]}, "attempt": _INT, "environment": _ref("RunEnvironment"),
        "context": _obj({"text": _STR, "started_by": _obj({
            "automation_id": _STR, "automation_name": _STR, "run_id": _STR, "event_id": _STR, "event": _STR})}),
        "status_url": _STR,
        "actions": {"type": "array", "items": _obj({
            "index": _INT, "type": _STR, "outcome": _STR,
            "status": {"enum": ["queued", "sent", "retrying", "failed"]},
            "attempts": _INT, "code": {"type": ["integer", "null"]}, "detail": _STR, "error": _STR, "at": _TIME,
            "retry_in": _INT, "deliveries": {"type": "array", "items": _obj({
                "to": _STR, "status": {"enum": ["sent", "retrying", "failed"]}, "code": {"type": ["integer", "null"]},
                "detail": _STR, "error": _STR})}})}}),
}

_SCHEMAS["Session"] = _obj({
    "id": _STR, "hidden": {"const": True}, "automation_id": _STR, "run_id": _STR,
    "environment": _ref("RunEnvironment"),
    "messages": {"type": "array", "items": _obj({
        "role": {"enum": ["system", "user", "assistant"]}, "content": _STR, "at": _TIME,
        "seq": {"type": "integer", "description": "Order in the session (messages and tool calls)"},
        "tool_calls": {"type": "array", "items": _obj({"id": _STR, "tool": _STR}),
                       "description": "The tools this assistant turn asked for (their ids link to tool_calls)"}})},
    "tool_calls": {"type": "array", "items": _obj({"id": _STR, "tool": _STR, "input": {"type": "object"}, "output": {},
                                                   "at": _TIME, "seq": _INT})},
    "artifacts": {"type": "array", "items": _obj({"name": _STR, "media_type": _STR, "content": _STR})}})

_QUEUE = _obj({"depth": {"type": "integer", "description": "visible + in_flight + delayed"}, "visible": _INT,
               "in_flight": _INT, "delayed": _INT})
_SCHEMAS["Status"] = _obj({
    "version": _STR, "stage": _STR, "checked_at": _TIME,
    "tzdata": {"type": "string", "description": "The IANA time-zone data version schedules use (e.g. 2026f)"},
    "scheduler": _obj({
        "tick_minutes": _INT, "lookback_hours": {"type": "number"},
        "last_tick": {"type": ["object", "null"], "description": "The last completed scheduler tick",
                      "properties": {"tick": _TIME, "started_at": _TIME, "completed_at": _TIME, "took_ms": _INT,
                                     "jobs": {"type": "integer", "description": "Fan-out jobs queued"},
                                     "caught_up": {"type": "array", "items": _TIME,
                                                   "description": "Missed ticks it fired"},
                                     "dropped": {"type": "integer", "description": "Missed ticks beyond the "
                                                 "look-back"}}},
        "last_catch_up": {"type": ["object", "null"], "description": "The last tick that caught up missed ones "
                          "(same shape as last_tick)"},
        "ticks_behind": {"type": ["integer", "null"], "description": "Ticks due since the last completed one"},
        "on_time": _BOOL}),
    "queues": _obj({
        "runs": {**_QUEUE, "properties": {**_QUEUE["properties"], "oldest_age_seconds": {
            "type": "number", "description": "Age of the oldest run waiting for a worker (from the waiting index)"},
            "oldest_waiting": {"type": ["object", "null"], "properties": {
                "run_id": _STR, "status": _STR, "waiting_since": _TIME, "age_seconds": {"type": "number"}}}}},
        "fanout": _QUEUE, "dead_letter": _QUEUE}),
    "runs": _obj({"running": {"type": "integer", "description": "The account's runs running now"},
                  "oldest_running_since": _NTIME, "oldest_running_seconds": {"type": ["number", "null"]}})})

_INGESTED = {"accepted": {"type": "array", "items": _STR}, "duplicates": {"type": "array", "items": _STR},
             "rejected": {"type": "array", "items": _obj({"index": _INT, "reason": _STR}, ["index", "reason"])},
             "runs": {"type": "array", "items": _STR}}
_SCHEMAS["Ingested"] = _obj(_INGESTED, list(_INGESTED))
_AUTOMATION = _obj({"automation": _ref("Automation")})
_KEY = _obj({"api_key": {"type": "string", "description": "Shown once"}, "key": _ref("ApiKey")})
_RUN_ID = _path("run_id", "Run id")
_PAGE = [_q("limit", "1-200, default 50", _LIMIT), _q("cursor", "next_cursor of the previous page (a value the "
                                                          "service issued: any other is refused, 400)")]
_LEASE = {"security": [{"leaseToken": []}]}
_RUNNER_AUTH = {"security": [{"runnerToken": []}]}
_AUTOMATION_ID = _path("automation_id", "Automation id")
_AGENT_ID = _path("agent_id", "Agent profile id (agt_…)")

_PATHS = {
    "/health": {"get": _op("Liveness", 200, _obj({"status": _STR}), errors=(), auth=False)},
    "/openapi.json": {"get": _op("This document", 200, {"type": "object"}, errors=(), auth=False)},
    "/status": {"get": _op("Whether the engine is healthy (owner, admins): the scheduler's last tick and "
                           "catch-ups, queue depths and the oldest wait, runs running now, the version", 200,
                           _ref("Status"), errors=(401, 403))},
    "/me": {"get": _op("The caller and their teams", 200,
                       _obj({"user": _ref("User"), "teams": {"type": "array", "items": _ref("Team")}}), errors=(401,))},
    "/users": {"post": _op("Add a user to the account (owner, admin); the API key is shown once", 201,
                           _obj({"user": _ref("User"), "api_key": _STR}), errors=(400, 401, 403, 409, 413),
                           body=_obj({"email": _EMAIL, "role": {"enum": ["admin", "member"]}}, ["email"]))},
    "/teams": {"post": _op("Create a team (owner, admin)", 201, _obj({"team": _ref("Team")}),
                           errors=(400, 401, 403, 413), body=_obj({"name": _NAME}, ["name"])),
               "get": _op("Teams: every team of the account for the owner and admins, a member's own teams otherwise",
                          200, _obj({"teams": {"type": "array", "items": _ref("Team")}}), errors=(401,))},
    "/teams/{team_id}": {
        "delete": _op("Delete a team (owner, admin); its memberships go with it. Refused (409) while automations "
                      "belong to it or runners serve it", 204, None, params=[_path("team_id", "Team id", _TEAM_ID)],
                      errors=(400, 401, 403, 404, 409))},
    "/teams/{team_id}/members/{user_id}": {
        "put": _op("Add a member (owner, admin)", 200, None,
                   params=[_path("team_id", "Team id", _TEAM_ID), _path("user_id", "User id")]),
        "delete": _op("Remove a member (owner, admin)", 200, None,
                      params=[_path("team_id", "Team id", _TEAM_ID), _path("user_id", "User id")])},
    "/runners": {
        "post": _op("Register a runner (owner, admin); team_id 0 = account-global; its heartbeat token is shown once",
                    201, _obj({"runner": _ref("Runner"), "token": _STR}),
                    body=_obj({"name": _NAME, "team_id": _TEAM_ID,
                               "pool": {"type": "string", "minLength": 1, "maxLength": 64, "default": "default"},
                               "min_healthy": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 1}},
                              ["name"]),
                    errors=(400, 401, 403, 404, 413)),
        "get": _op("Runners the caller can pick", 200,
                   _obj({"runners": {"type": "array", "items": _ref("Runner")}}), errors=(401,))},
    "/api-keys": {"get": _op("API keys of the caller, or (owner, admin) of ?user_id=; never their secrets", 200,
                             _obj({"api_keys": {"type": "array", "items": _ref("ApiKey")}}),
                             params=[_q("user_id", "Another user's keys (owner, admin)")], errors=(401, 403, 404))},
    "/api-keys/rotate": {"post": _op("A new key for the caller; the key of this request stops working at once",
                                     200, _KEY, errors=(401,))},
    "/api-keys/{key_id}": {"delete": _op("Revoke a key: the caller's own, or (owner, admin) any of the account",
                                         204, None, params=[_path("key_id", "From GET /api-keys")],
                                         errors=(401, 404))},
    "/users/{user_id}/api-keys": {
        "post": _op("Issue a new key for a user (owner, admin); shown once", 201, _KEY,
                    params=[_path("user_id", "User id")], errors=(401, 403, 404)),
        "delete": _op("Revoke every key of a user (owner, admin)", 200, _obj({"revoked": _INT}),
                      params=[_path("user_id", "User id")], errors=(401, 403, 404))},
    "/runners/{runner_id}/claim": {
        "post": {**_op("A runner asks for work of its pool (Authorization: Bearer <runner token>): a long poll of "
                       "up to `wait` seconds (at most 20) that answers as soon as a run is claimed; counts as a "
                       "heartbeat", 200, _obj({"run": {"oneOf": [_ref("Work"), {"type": "null"}]},
                                               "poll_seconds": _INT}),
                       body=_obj({"wait": {"type": "number", "minimum": 0, "maximum": 20},
                                  "own_agent": {"type": "boolean", "description": "The runner works every run with "
                                                "its own model and key (AGENT_OWN): the account's key is not sent"}}),
                       body_required=False,
                       params=[_path("runner_id", "Runner id")], errors=(400, 401, 503)), **_RUNNER_AUTH}},
    "/runners/{runner_id}/token/rotate": {
        "post": _op("A new runner token (owner, admin); the old one stops working at once", 200,
                    _obj({"runner": _ref("Runner"), "token": _STR}), params=[_path("runner_id", "Runner id")],
                    errors=(401, 403, 404))},
    "/runs/{run_id}/session": {
        "post": {**_op("An environment appends session items (Authorization: Bearer <lease token>); renews the "
                       "lease when a third of it is used", 200,
                       _obj({"written": _INT, "lease_expires_at": _STR}), params=[_RUN_ID],
                       body=_obj({"items": {"type": "array", "items": _ref("SessionItem")}}, ["items"]),
                       errors=(400, 401, 409, 413)), **_LEASE}},
    "/runs/{run_id}/lease": {
        "post": {**_op("An environment renews its lease (409: the run ended or went elsewhere; stop)", 200,
                       _obj({"lease_expires_at": _STR}), params=[_RUN_ID], errors=(401, 409)), **_LEASE}},
    "/runs/{run_id}/outcome": {
        "post": {**_op("An environment reports how the run ended; the run's actions fire as for any run", 200,
                       _obj({"status": _STR, "retry_after": {"type": ["integer", "null"]}}), params=[_RUN_ID],
                       body=_obj({"status": {"enum": ["succeeded", "partial", "failed", "retry"]},
                                  "reason": {"type": "string", "description": "Required unless succeeded"}},
                                 ["status"]), errors=(400, 401, 409)), **_LEASE}},
    "/runners/{runner_id}": {
        "delete": _op("Delete a runner (owner, admin); its token stops working. Refused (409) while an "
                      "automation's environment names it", 204, None, params=[_path("runner_id", "Runner id")],
                      errors=(401, 403, 404, 409))},
    "/runners/{runner_id}/heartbeat": {
        "post": {**_op("A runner reports it is alive (Authorization: Bearer <runner token>); "
                       "{\"state\": \"offline\"} when it stops", 200,
                       _obj({"runner": _ref("Runner")}), params=[_path("runner_id", "Runner id")], errors=(400, 401),
                       body=_obj({"state": {"enum": ["online", "offline"]}}), body_required=False),
                 "security": [{"runnerToken": []}]}},
    "/events": {
        "post": _op("Send one event or a list of up to 100; each is refused on its own, the good ones kept "
                    "(202 when at least one was kept or was a duplicate; 400 when none was: an Error that also "
                    "carries the per-event result)", 202, _ref("Ingested"), errors=(400, 401, 413),
                    body={"oneOf": [_ref("EventInput"), {"type": "array", "minItems": 1, "maxItems": ingest.MAX_BATCH,
                                                         "items": _ref("EventInput")}]}),
        "get": _op("Events of the account the caller may see, newest first: external events, and run events of "
                   "automations the caller can view", 200,
                   _obj({"events": {"type": "array", "items": _ref("Event")},
                         "next_cursor": {"type": ["string", "null"]}}),
                   params=[_q("event", "Name pattern, * wildcards"), _q("resource_id", "Exact resource id"),
                           _q("since", "Default: the retention before until; not after until", _QTIME),
                           _q("until", "Default: now", _QTIME),
                           *_PAGE],
                   errors=(400, 401))},
    "/automations": {
        "post": _op("Create an automation", 201, _obj({"automation": _ref("Automation"),
                                                       "api_trigger": _ref("ApiTriggerSecret"),
                                                       "webhook_signing": _ref("WebhookSigning")}),
                    body=_ref("AutomationCreate"), errors=(400, 401, 413)),
        "get": _op("Automations visible to the caller, newest first, one page at a time", 200,
                   _obj({"automations": {"type": "array", "items": _ref("Automation")},
                         "next_cursor": {"type": ["string", "null"]}}), errors=(400, 401),
                   params=[_q("scope", "all | personal | team", {"enum": ["all", "personal", "team"]}),
                           {**_q("team_id", "Repeatable; narrows to these teams", {"type": "array",
                                                                                  "items": _TEAM_ID}),
                            "explode": True},
                           _q("status", "all | enabled | disabled", {"enum": ["all", "enabled", "disabled"]}),
                           *_PAGE])},
    "/automations/{automation_id}": {
        "get": _op("One automation", 200, _AUTOMATION, errors=(401, 404), params=[_AUTOMATION_ID]),
        "patch": _op("Edit any of the create fields", 200,
                     _obj({"automation": _ref("Automation"), "api_trigger": _ref("ApiTriggerSecret"),
                           "webhook_signing": _ref("WebhookSigning")}),
                     body=_ref("AutomationInput"), params=[_AUTOMATION_ID], errors=(400, 401, 403, 404, 413)),
        "delete": _op("Delete; run history stays until its retention ends", 204, None,
                      params=[_AUTOMATION_ID], errors=(401, 403, 404))},
    "/automations/{automation_id}/enable": {"post": _op("Enable", 200, _AUTOMATION, params=[_AUTOMATION_ID],
                                                        errors=(401, 403, 404))},
    "/automations/{automation_id}/disable": {"post": {**_op(
        "Disable (history is kept); the optional reason is kept in paused", 200, _AUTOMATION,
        params=[_AUTOMATION_ID], errors=(400, 401, 403, 404)), "requestBody": {"required": False, **_json(_obj(
            {"reason": {"type": ["string", "null"], "maxLength": 500}}))}}},
    "/automations/{automation_id}/webhook-secret/rotate": {
        "post": _op("New webhook signing secret, shown once; the old one still signs beside it for 24 hours "
                    "(previous_valid_until), then stops", 200,
                    _obj({"webhook_signing": _ref("WebhookSigning")}), params=[_AUTOMATION_ID],
                    errors=(401, 403, 404))},
    "/automations/{automation_id}/api-trigger/rotate": {
        "post": _op("New trigger token; the old one stops working at once", 200, _ref("ApiTriggerSecret"),
                    params=[_AUTOMATION_ID], errors=(401, 403, 404, 409))},
    "/automations/{automation_id}/runs": {
        "post": _op("Start a manual run (whoever can_edit); optional context text", 202, _obj({"run": _ref("Run")}),
                    body=_obj({"text": {"type": ["string", "null"], "description": "At most 64 KiB"}}),
                    body_required=False, params=[_AUTOMATION_ID], errors=(400, 401, 403, 404, 409, 413, 503)),
        "get": _op("Run history, newest first (only where can_edit)", 200,
                   _obj({"runs": {"type": "array", "items": _ref("Run")}, "next_cursor": {"type": ["string", "null"]}}),
                   params=[_AUTOMATION_ID, _q("since", "Default: 30 days before until; at most 180 days before until",
                                              _QTIME),
                           _q("until", "Default: now", _QTIME),
                           _q("status", "A run status or all", {"enum": ["all", *records.STATUSES]}),
                           *_PAGE])},
    "/automations/{automation_id}/test": {
        "post": _op("Render every action for a sample event (or a run outcome) and explain the trigger match; "
                    "nothing is sent", 200,
                    _obj({"outcome": _STR, "event": _ref("Event"), "trigger": {"type": ["object", "null"]},
                          "actions": {"type": "array", "items": {"type": "object"}}, "sent": {"const": False}}),
                    body=_obj({"event": {"oneOf": [_ref("EventInput"), {"type": "null"}],
                                         "description": "A sample event (else a run outcome)"},
                               "outcome": {"enum": [o for o in registry.OUTCOMES if o != "triggered"],
                                           "default": "failed"}}),
                    body_required=False, params=[_AUTOMATION_ID], errors=(400, 401, 403, 404))},
    "/secrets": {
        "get": _op("The account's secret names (never a value) and when each last changed", 200,
                   _obj({"secrets": {"type": "array", "items": _obj({"name": _STR, "updated_at": _NTIME})}}),
                   errors=(401, 503))},
    "/secrets/{name}": {
        "put": _op("Store a named secret (owner, admin): 201 when it is new, 200 when its value was replaced; "
                   "the value is never returned", 200, _obj({"name": _STR, "created": _BOOL}),
                   body=_obj({"value": {"type": "string", "minLength": 1, "maxLength": secrets.MAX_VALUE_BYTES,
                                        "description": f"At most {secrets.MAX_VALUE_BYTES} bytes as UTF-8"}},
                             ["value"]),
                   params=[_path("name", "1-128 of A-Z a-z 0-9 _ . -", _SECRET_NAME)], errors=(400, 401, 403, 413))},
    "/agents": {
        "post": _op("Make an agent profile (owner, admin); 409 when the account has 50 already", 201,
                    _obj({"agent": _ref("Agent")}, ["agent"]), body=_ref("AgentCreate"),
                    errors=(400, 401, 403, 409, 413)),
        "get": _op("The agent profiles the caller may see (the account's, and their teams'), by name", 200,
                   _obj({"agents": {"type": "array", "items": _ref("Agent")}}, ["agents"]), errors=(401,))},
    "/agents/{agent_id}": {
        "get": _op("One agent profile", 200, _obj({"agent": _ref("Agent")}, ["agent"]), params=[_AGENT_ID],
                   errors=(401, 404)),
        "put": _op("Change the fields given (owner, admin); fields a new backend does not take are dropped. 409 "
                   "when a team change would leave automations that use it outside its scope", 200,
                   _obj({"agent": _ref("Agent")}, ["agent"]), body=_ref("AgentUpdate"), params=[_AGENT_ID],
                   errors=(400, 401, 403, 404, 409, 413)),
        "delete": _op("Delete it (owner, admin). 409 naming the automations while any uses it; the account's "
                      "default may be deleted (automations that name none then use the deployment's backend)", 204,
                      None, params=[_AGENT_ID], errors=(401, 403, 404, 409))},
    "/automation-templates": {
        "get": _op("Preset templates; locale from ?locale=, else Accept-Language, else en-US", 200,
                   _obj({"locale": _STR, "templates": {"type": "array", "items": _ref("Template")}}),
                   params=[_q("locale", "en-US | zh-CN", {"enum": ["en-US", "zh-CN"]})], errors=(400, 401))},
    "/trigger/{trigger_id}": {
        "post": {**_op("Start a run with the trigger token (Authorization: Bearer <trigger token>)", 202,
                       _obj({"run_id": _STR, "status": {"const": "queued"}, "status_url": _STR}),
                       body=_obj({"text": {"type": "string", "description": "Context for this run"}}),
                       params=[_path("trigger_id", "From the automation's api trigger url"),
                               {"name": "Idempotency-Key", "in": "header", "required": False, "schema": _STR,
                                "description": "A repeated call with the same key and body returns the same "
                                               "run; the same key with another text is 409"}],
                       errors=(400, 401, 403, 409, 413, 503)),
                 "security": [{"triggerToken": []}]}},
    "/runs/{run_id}/cancel": {"post": _op("Cancel a queued or running run: it ends failed, reason 'cancelled'; "
                                          "its failed actions are queued, not sent in the request",
                                          200, _obj({"run": _ref("Run")}), params=[_path("run_id", "Run id")],
                                          errors=(401, 403, 404, 409))},
    "/sessions/{session_id}": {"get": _op("A run's hidden session: messages, tool calls, artifacts", 200,
                                          _obj({"session": _ref("Session")}),
                                          params=[_path("session_id", "From the run's session_id")],
                                          errors=(401, 403, 404))},
    "/runs/{run_id}": {"get": _op("One run (same visibility as its automation's history)", 200,
                                  _obj({"run": _ref("Run")}), params=[_path("run_id", "Run id")],
                                  errors=(401, 403, 404))},
}


def _console_page(summary):
    return {"get": {"summary": summary, "security": [], "tags": ["console"], "responses": {
        "200": {"description": "The console's HTML page (the browser routes; every API call it makes needs a key)",
                "content": {"text/html": {"schema": _STR}}},
        "503": {"description": "The console is not built (make console)"}}}}


_PATHS["/secrets/{name}"]["put"]["responses"]["201"] = {"description": "Created",
                                                        **_json(_obj({"name": _STR, "created": {"const": True}}))}
# No event kept: an Error (as every refusal is) that also says what became of each event.
_PATHS["/events"]["post"]["responses"]["400"] = {"description": "No event was kept (or the body is not events)",
                                                 **_json({"allOf": [_ref("Invalid"), _obj(_INGESTED)]})}

_PATHS.update({
    "/ai-sre/automations": _console_page("Console: the automations list"),
    "/ai-sre/automations/{rule_id}": {"get": {**_console_page("Console: an automation's form (or 'new')")["get"],
                                              "parameters": [_path("rule_id", "Automation id, or new")]}},
    "/ai-sre/automations/{rule_id}/history": {"get": {**_console_page("Console: an automation's run history")["get"],
                                                      "parameters": [_path("rule_id", "Automation id")]}},
    "/ai-sre/chat": {"get": {**_console_page("Console: a run's hidden session")["get"],
                             "parameters": [_q("session_id", "The run's session_id")]}},
    "/ai-sre/events": _console_page("Console: recent events"),
    "/ai-sre/secrets": _console_page("Console: secret names; set or replace a value"),
    "/ai-sre/integrations": _console_page("Console: integrations (URL and secret shown once) and business hours"),
    "/ai-sre/agents": _console_page("Console: agent profiles (backend, model, the key's secret name, limits)"),
    "/ai-sre/mcp-servers": _console_page("Console: MCP servers (headers, allow-list) and their Test"),
    "/ai-sre/knowledge": _console_page("Console: knowledge documents, their search, editor and upload"),
    "/ai-sre/alerts": {"get": {**_console_page("Console: alerts, incidents and an incident's timeline, changes")["get"],
                               "parameters": [_q("tab", "alerts, incidents or changes"),
                                              _q("incident", "An incident's key, such as pagerduty#Q1QH8K2ZJ7XW3M")]}},
    "/ai-sre/assets/{name}": {"get": {
        "summary": "Console: a built, content-hashed asset (immutable)", "security": [], "tags": ["console"],
        "parameters": [_path("name", "A file name from the console's build")],
        "responses": {"200": {"description": "JavaScript or CSS", "content": {"text/javascript": {"schema": _STR},
                                                                            "text/css": {"schema": _STR}}},
                      "404": {"description": "No such asset in this build"}}}},
})

# --- Operations data: integrations, hooks, alerts, incidents, changes, account settings, agent tools --------------
_NSTR = {"type": ["string", "null"]}
_STRS = {"type": "array", "items": _STR}
_COUNT = {"type": "integer", "minimum": 0}
_SECONDS = {"type": ["integer", "null"], "minimum": 0}
_TOKEN_TYPES = sorted(t for t, v in VENDORS.items() if v.secret_kind != "signing")
_SIGNATURES = {"pagerduty": "X-PagerDuty-Signature", "github": "X-Hub-Signature-256"}  # the vendors' own headers
# The vendors whose payload this document spells out (one registered without is "an object").
_PAYLOADS = {"alertmanager": "AlertmanagerPayload", "grafana": "GrafanaPayload", "pagerduty": "PagerDutyWebhook",
             "cloudwatch": "SnsMessage", "github": ["GitHubDeploymentStatus", "GitHubPing"]}


def _hook_scheme(vendor) -> dict:
    """How a vendor's delivery proves it is the integration's: a security requirement."""
    if vendor.secret_in_url:
        return {}  # the URL's last segment is the secret: no header (SNS)
    if vendor.secret_kind == "signing":
        return {f"{vendor.type}Signature": []}
    return {"integrationToken": []}


def _hook_security(path_secret: bool) -> list:
    found = []
    for _, vendor in sorted(VENDORS.items()):
        scheme = _hook_scheme(vendor)
        if scheme not in found and (path_secret or scheme):
            found.append(scheme)
    return found


_NAMES = {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 128},
                    {"type": "array", "minItems": 1, "maxItems": 10,
                     "items": {"type": "string", "minLength": 1, "maxLength": 128}}],
          "description": "A label or field name, or a list of them: the first one set wins"}
_MAPPING_IN = {"type": ["object", "null"], "additionalProperties": False,
               "properties": {key: _NAMES for key in ops_integrations.MAPPING_KEYS},
               "description": "Which of the vendor's labels or fields is the service and the severity (null: the "
                              "vendor's defaults)"}
_INTEGRATION_TEAM = {"anyOf": [_TEAM_ID, {"type": "null"}], "description": "0 or null: the account's; a team id: "
                     "that team's (its members see it)"}
_SIGNING_SECRET = {"type": "string", "minLength": 8, "maxLength": 256,
                   "description": "The tool's own signing secret (PagerDuty makes its own): signing vendors only"}
_AM_TIME = {"type": "string", "format": "date-time", "pattern": "^(?!0001-01-01)",
            "description": "RFC 3339; Go's zero time (0001-01-01T00:00:00Z) means not set"}
_ANY = {"description": "Not read"}
_WINDOW = _obj({"since": _TIME, "until": _TIME}, ["since", "until"])


def _ops_limit(default: int, most: int):
    return _q("limit", f"1-{most}, default {default}", {"type": "integer", "minimum": 1, "maximum": most,
                                                         "default": default})


def _maybe(*values):
    """An enum that also takes an empty value (the same as leaving it out)."""
    return {"enum": [*values, ""], "description": "Empty: any"}


_OPS_CURSOR = _q("cursor", "next_cursor of the previous page (a value the service issued: any other is 400)")
_OPS_WINDOW = [_q("since", f"Default: 7 days before until; at most {ops_queries.MAX_WINDOW.days} days before until",
                  _QTIME), _q("until", "Default: now", _QTIME)]
_SERVICE = _q("service", "Only this service", {"type": "string", "maxLength": 255})
_INTEGRATION_ID = _path("integration_id", "From the integration's url (int_…)")

_SCHEMAS.update({
    "Integration": _obj({
        "id": _STR, "type": {"enum": sorted(VENDORS)}, "title": {"type": "string", "description": "The tool's name"},
        "name": _STR, "team_id": _INT,
        "url": {"type": "string", "description": "What to paste into the tool (for SNS, the secret is its last "
                                                 "segment: <secret> here, the secret itself when shown once)"},
        "secret_kind": {"enum": ["token", "signing"],
                        "description": "token: a bearer token or URL secret, kept only as its hash; signing: the "
                                       "HMAC key the tool signs with"},
        "secret_set": _BOOL,
        "mapping": {"type": "object", "description": "The vendor's defaults with the integration's own over them",
                    "additionalProperties": {"anyOf": [_STRS, _STR, {"type": "null"}]}},
        "created_at": _TIME, "created_by": _NSTR, "updated_at": _NTIME, "last_received_at": _NTIME,
        "received": {**_COUNT, "description": "Deliveries taken"},
        "refused": {**_COUNT, "description": "Deliveries refused for their credential or signature (401)"},
        "errors": {"type": "array", "description": "The newest turned-away deliveries (at most 10), newest first",
                   "items": _obj({"at": _TIME, "reason": _STR}, ["at", "reason"])},
        "confirmed_at": {**_NTIME, "description": "SNS: when the subscription was confirmed"}},
        ["id", "type", "title", "name", "team_id", "url", "secret_kind", "secret_set", "mapping", "created_at",
         "last_received_at", "received", "refused", "errors"]),
    "IntegrationSecret": _obj({
        "integration": {"allOf": [_ref("Integration")], "description": "With the url to paste, secret included"},
        "secret": {"type": "string", "description": "Shown once: the bearer token (Alertmanager, Grafana), the "
                                                    "signing secret (PagerDuty, GitHub) or the URL's secret (SNS)"},
        "setup": {"type": "string", "description": "What to paste where in the tool, with this URL and secret"}},
        ["integration", "secret", "setup"]),
    "IntegrationCreate": {
        **_obj({"type": {"enum": sorted(VENDORS)}, "name": _NAME, "team_id": _INTEGRATION_TEAM,
                "mapping": _MAPPING_IN, "signing_secret": {**_SIGNING_SECRET, "type": ["string", "null"]}},
               ["type", "name"]),
        # A token vendor's secret is made by the service (256 random bits), never chosen.
        "if": {"required": ["type"], "properties": {"type": {"enum": _TOKEN_TYPES}}},
        "then": {"properties": {"signing_secret": {"type": "null"}}}},
    "IntegrationUpdate": {**_obj({"name": _NAME, "team_id": _INTEGRATION_TEAM, "mapping": _MAPPING_IN,
                                  "signing_secret": _SIGNING_SECRET}), "additionalProperties": False},
    "HookReceived": {"anyOf": [
        _obj({"duplicate": {"type": "boolean", "description": "A redelivery: nothing was stored again"},
              "received": _obj({"alerts": _COUNT, "incidents": _COUNT, "changes": _COUNT},
                               ["alerts", "incidents", "changes"]),
              "events": {**_STRS, "description": "The events it made (alert.firing, incident.triggered, …)"},
              "runs": {**_STRS, "description": "The runs those events started"}},
             ["duplicate", "received", "events", "runs"]),
        _obj({"pong": {"const": True}, "runs": {"type": "array", "maxItems": 0}}, ["pong", "runs"]),
        _obj({"confirmed": {"const": True}, "runs": {"type": "array", "maxItems": 0}}, ["confirmed", "runs"])],
        "description": "A delivery stored; or a ping answered (pong); or an SNS subscription confirmed"},
    "Alert": _obj({
        "key": {"type": "string", "description": "<source>#<fingerprint>"}, "name": _STR, "service": _NSTR,
        "severity": _NSTR, "status": {"enum": ["firing", "resolved"]},
        "source": {"type": "string", "description": "The integration type, or events (POST /events)"},
        "labels": {"type": "object", "additionalProperties": _STR},
        "annotations": {"type": "object", "additionalProperties": _STR}, "generator_url": _NSTR,
        "first_seen": _TIME, "last_start": _NTIME, "last_end": _NTIME,
        "acked_by": {**_NSTR, "description": "Who acknowledged its current firing"},
        "fired": {**_COUNT, "description": "Firings seen"}, "integration_id": _NSTR, "updated_at": _TIME},
        ["key", "name", "service", "severity", "status", "source", "labels", "annotations", "first_seen", "fired"]),
    "AlertFiring": _obj({"start": _TIME, "end": _NTIME, "acked_by": _NSTR, "acked_at": _NTIME,
                         "duration_seconds": _SECONDS}, ["start", "end", "acked_by", "acked_at", "duration_seconds"]),
    "AlertHistory": _obj({"alert": _ref("Alert"), "firings": {"type": "array", "items": _ref("AlertFiring"),
                                                              "description": "Newest first"},
                          "next_cursor": _NSTR}, ["alert", "firings", "next_cursor"]),
    "Incident": _obj({
        "key": {"type": "string", "description": "<source>#<id>"}, "id": _STR,
        "number": {"type": ["integer", "null"]}, "title": _STR, "service": _NSTR, "urgency": _NSTR,
        "priority": _NSTR, "status": {"enum": list(INCIDENT_STATUSES)}, "opened_at": _TIME,
        "acknowledged_at": _NTIME, "resolved_at": _NTIME, "assignees": _STRS, "escalation": _NSTR, "url": _NSTR,
        "alert_keys": {**_STRS, "description": "The alerts linked to it"}, "source": _STR},
        ["key", "id", "title", "status", "opened_at", "assignees", "alert_keys", "source"]),
    "Change": _obj({
        "key": {"type": "string", "description": "<source>#<id>"}, "service": _NSTR,
        "kind": {"type": "string", "description": "deploy, config, …"}, "environment": _NSTR, "who": _NSTR,
        "at": _TIME, "link": _NSTR, "outcome": _NSTR, "description": _NSTR, "source": _STR, "updated_at": _NTIME},
        ["key", "kind", "at", "source"]),
    "IncidentTimeline": _obj({
        "incident": _ref("Incident"),
        "timeline": {"type": "array", "description": "Every status change, oldest first",
                     "items": _obj({"at": _TIME, "status": {"anyOf": [{"enum": list(INCIDENT_STATUSES)},
                                                                      {"type": "null"}]},
                                    "who": _NSTR, "what": {"type": "string", "description": "What happened: "
                                                                      + ", ".join(INCIDENT_WHATS)}},
                                   ["at", "status", "who", "what"])},
        "alerts": {"type": "array", "description": "Its linked alerts, and those on its service from 2 hours before "
                   "it opened until it resolved", "items": _obj({
                       "key": _STR, "name": _STR, "service": _NSTR, "severity": _NSTR, "first_start": _NTIME,
                       "firings": {"type": "array", "items": _obj({"start": _TIME, "end": _NTIME, "acked_by": _NSTR},
                                                                  ["start", "end", "acked_by"])},
                       "linked": _BOOL}, ["key", "name", "first_start", "firings", "linked"])},
        "changes": {"type": "array", "items": _ref("Change"),
                    "description": "The changes on its service in the 24 hours before it opened"},
        "metrics": _obj({"first_alert_at": _NTIME, "time_to_detect_seconds": _SECONDS,
                         "time_to_acknowledge_seconds": _SECONDS, "time_to_resolve_seconds": _SECONDS},
                        ["first_alert_at", "time_to_detect_seconds", "time_to_acknowledge_seconds",
                         "time_to_resolve_seconds"])},
        ["incident", "timeline", "alerts", "changes", "metrics"]),
    "BusinessHours": {**_obj({"days": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6},
                                       "description": "Weekdays at work: 0 = Sunday … 6 = Saturday"},
                              "start": {"type": "integer", "minimum": 0, "maximum": 24,
                                        "description": "Local hour work starts"},
                              "end": {"type": "integer", "minimum": 0, "maximum": 24,
                                      "description": "Local hour work ends (after start)"}},
                             ["days", "start", "end"]), "additionalProperties": False},
    "AccountSettings": _obj({"business_hours": _ref("BusinessHours"),
                             "timezone": {"type": "string", "description": "IANA time zone of the business hours"}},
                            ["business_hours", "timezone"]),
    "ToolSpec": _obj({"name": {"enum": sorted(ops_tools.NAMES)}, "description": _STR,
                      "parameters": {"type": "object", "description": "The arguments' JSON schema"}},
                     ["name", "description", "parameters"]),
    "ToolCall": _obj({"output": {"type": "object", "description": "The tool's answer; arguments it cannot use are "
                                 "answered {\"ok\": false, \"error\"} (a model reads it and corrects itself)"}},
                     ["output"]),
})


def _alertmanager_shaped(version, alert_extras: dict, top_extras: dict, description: str) -> dict:
    """Alertmanager's webhook payload (and Grafana's, which adds fields), as far as the service reads it."""
    alert = {**_obj({"status": {"enum": ["firing", "resolved"]},
                     "labels": {"type": ["object", "null"],
                                "description": "alertname is the alert's name; the first 64 are kept"},
                     "annotations": {"type": ["object", "null"]},
                     "startsAt": _AM_TIME, "endsAt": {"description": "Read when resolved"},
                     "fingerprint": {"type": ["string", "number", "boolean"], "minLength": 1,
                                     "description": "The alert's identity (a number is taken as its text)"},
                     "generatorURL": {"type": ["string", "number", "boolean", "null"]},
                     "title": {"description": "The name when labels have no alertname"}, **alert_extras},
                    ["status", "startsAt", "fingerprint"]),
             "anyOf": [{"required": ["labels"], "properties": {"labels": {
                           "type": "object", "required": ["alertname"],
                           "properties": {"alertname": {"not": {"const": ""}}}}}},
                       {"required": ["title"], "properties": {"title": {
                           "type": ["string", "number", "boolean"], "minLength": 1}}}],
             "if": {"required": ["status"], "properties": {"status": {"const": "resolved"}}},
             "then": {"required": ["endsAt"], "properties": {"endsAt": _AM_TIME}}}
    return {**_obj({"version": version, "status": _ANY, "receiver": _ANY, "groupKey": _ANY, "groupLabels": _ANY,
                    "commonAnnotations": _ANY, "externalURL": _ANY, "truncatedAlerts": _ANY,
                    "commonLabels": {"type": ["object", "null"],
                                     "description": "Labels every alert has (a service label may be here)"},
                    "alerts": {"type": "array", "maxItems": 1000, "items": alert}, **top_extras}, ["alerts"]),
            "description": description}


_LINK = {"description": "Kept as an annotation when a non-empty string"}
_SCHEMAS.update({
    "AlertmanagerPayload": _alertmanager_shaped(
        {"enum": ["4", 4], "description": "Default 4"}, {}, {},
        "Prometheus Alertmanager webhook_configs (version 4), with send_resolved"),
    "GrafanaPayload": _alertmanager_shaped(
        {"description": "Grafana's (\"1\"): not read"},
        {"values": {"description": "The last evaluation: ref id -> number (kept as annotation grafana_values)"},
         "valueString": _LINK, "dashboardURL": _LINK, "panelURL": _LINK, "silenceURL": _LINK, "imageURL": _LINK},
        {"title": _ANY, "state": _ANY, "message": _ANY, "orgId": _ANY},
        "Grafana Alerting's webhook contact point: Alertmanager's shape with Grafana's fields"),
    "PagerDutyWebhook": {**_obj({"event": {**_obj({
        "id": {"description": "The event's id: a redelivery keeps it"},
        "event_type": {"type": "string", "minLength": 1,
                       "description": "incident.triggered, .acknowledged, .unacknowledged, .escalated, .reassigned, "
                                      ".delegated, .reopened, .resolved, .priority_updated, .annotated become the "
                                      "incident's status changes; pagey.ping is answered pong; others store nothing"},
        "occurred_at": {"type": "string", "format": "date-time", "description": "Required for incident events"},
        "agent": {"description": "Who acted (a user_reference's summary)"},
        "client": {"description": "The tool that sent it, when not a person"},
        "data": {"type": "object", "description": "The incident (type incident: id, title, status, urgency, "
                                                  "priority, service, assignees, escalation_policy, html_url, "
                                                  "created_at, number), or a reference to it in data.incident"}},
        ["event_type"])}}, ["event"]),
        "description": "A PagerDuty V3 webhook subscription's delivery, signed in X-PagerDuty-Signature"},
    "SnsMessage": {**_obj({
        "Type": {"enum": ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]},
        "MessageId": {"type": "string", "minLength": 1, "description": "The delivery's id: a retry keeps it"},
        "TopicArn": _STR, "Subject": _STR, "Timestamp": _STR, "Token": _STR,
        "Message": {"type": "string", "description": "A Notification: the CloudWatch alarm as JSON (AlarmName, "
                                                     "NewStateValue ALARM | OK | INSUFFICIENT_DATA, OldStateValue, "
                                                     "StateChangeTime, AlarmArn, Trigger, …)"},
        "SubscribeURL": {"type": "string", "description": "A SubscriptionConfirmation: visited (an https URL on "
                                                          "sns.<region>.amazonaws.com) to confirm"},
        "SignatureVersion": {"enum": ["1", "2"]}, "Signature": _STR,
        "SigningCertURL": {"type": "string", "description": "https, on sns.<region>.amazonaws.com, a .pem"}},
        ["Type", "MessageId", "SignatureVersion", "Signature", "SigningCertURL"]),
        "description": "Amazon SNS's HTTPS delivery (sent as text/plain; raw message delivery off), its signature "
                       "verified"},
    "GitHubDeploymentStatus": {**_obj({
        "deployment_status": {**_obj({"state": {"type": "string", "minLength": 1,
                                                "description": "success, failure, error, in_progress, pending, "
                                                               "queued, waiting, inactive: the change's outcome"},
                                      "environment": _NSTR, "target_url": _NSTR, "log_url": _NSTR,
                                      "environment_url": _NSTR, "description": _NSTR, "created_at": _TIME,
                                      "updated_at": _NTIME},
                                     ["state"])},
        "deployment": _obj({"id": {"description": "The change's id"}, "created_at": _TIME, "environment": _NSTR,
                            "description": _NSTR, "creator": {"type": ["object", "null"],
                                                              "properties": {"login": _STR}},
                            "payload": {"description": "payload.service names the service (the default "
                                                       "mapping), else the repository's name"}},
                           ["id", "created_at"]),
        "repository": _obj({"name": _STR, "full_name": _STR, "html_url": _STR}), "sender": _obj({"login": _STR})},
        ["deployment_status", "deployment"]),
        "description": "A GitHub deployment_status webhook (X-GitHub-Event: deployment_status), signed in "
                       "X-Hub-Signature-256; JSON, or the form content type's payload field"},
    "GitHubPing": {**_obj({"zen": _STR, "hook_id": _INT, "hook": {"type": "object"}}, ["zen", "hook_id"]),
                   "description": "The ping GitHub sends when the webhook is made (X-GitHub-Event: ping): answered "
                                  "pong. Events the webhook was not meant to send are answered 200, nothing stored"},
})


def _listed(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


_SCHEMAS["HookPayload"] = {
    "anyOf": [_ref(name) for t in sorted(VENDORS) for name in _listed(_PAYLOADS.get(t))] + [
        {"type": "object", "description": f"{VENDORS[t].title}: the payload as the vendor documents it"}
        for t in sorted(VENDORS) if t not in _PAYLOADS],
    "description": "The monitoring tool's own payload, exactly as its vendor sends it: the integration's type "
                   "decides which (docs/integrations.md). Read whole (at most 1 MiB) before anything is stored"}

_HOOK_ERRORS = {
    "400": {"description": "Malformed for the integration's type: the reason, also kept in the integration's "
                           "errors; nothing is stored", **_json(_ref("Invalid"))},
    "401": {"description": "The credential or signature is not the integration's: refused, counted in its "
                           "refused", **_json(_ref("Error"))},
    "404": {"description": "No integration has this id (the same answer for any unknown one)",
            **_json(_ref("Error"))},
    "413": {"description": "Over 1 MiB", **_json(_ref("Error"))},
    "503": {"description": "SNS's signing certificate or subscription URL could not be reached now (SNS delivers "
                           "again)", **_json(_ref("Error"))}}


def _hook(summary: str, params: list, path_secret: bool) -> dict:
    return {"summary": summary, "parameters": params, "security": _hook_security(path_secret),
            "requestBody": {"required": True, **_json(_ref("HookPayload"))},
            "responses": {"200": {"description": "Taken", **_json(_ref("HookReceived"))}, **deepcopy(_HOOK_ERRORS)}}


_PATHS.update({
    "/integrations": {
        "post": _op("Make an integration (owner, admin): its url and secret, shown once, and what to paste where",
                    201, _ref("IntegrationSecret"), body=_ref("IntegrationCreate"), errors=(400, 401, 403, 413)),
        "get": _op("The integrations the caller may see (the account's, and their teams'), newest first; never a "
                   "secret", 200, _obj({"integrations": {"type": "array", "items": _ref("Integration")}},
                                       ["integrations"]), errors=(401,))},
    "/integrations/{integration_id}": {
        "get": _op("One integration: what it received, when, and its recent errors", 200,
                   _obj({"integration": _ref("Integration")}, ["integration"]), params=[_INTEGRATION_ID],
                   errors=(401, 404)),
        "put": _op("Change its name, team or mapping, or (signing vendors) store the tool's own signing secret "
                   "(owner, admin)", 200, _obj({"integration": _ref("Integration")}, ["integration"]),
                   body=_ref("IntegrationUpdate"), params=[_INTEGRATION_ID], errors=(400, 401, 403, 404, 413)),
        "delete": _op("Delete it (owner, admin): its deliveries are refused from now on (404); what it brought in "
                      "stays for the retention", 204, None, params=[_INTEGRATION_ID], errors=(401, 403, 404))},
    "/integrations/{integration_id}/rotate": {
        "post": _op("A new secret, shown once (owner, admin); the old one stops at once. 409 for a vendor that "
                    "makes its own signing secret (PagerDuty): make a new one there and store it with PUT", 200,
                    _ref("IntegrationSecret"), params=[_INTEGRATION_ID], errors=(401, 403, 404, 409))},
    "/hooks/{integration_id}": {
        "post": _hook("A monitoring tool's delivery (no API key: the integration's bearer token or the vendor's "
                      "signature): stored once, as alerts, incidents or changes and their events, which fire "
                      "event triggers", [_INTEGRATION_ID], path_secret=False)},
    "/hooks/{integration_id}/{secret}": {
        "post": _hook("The same, for a tool that cannot send headers (SNS): the secret is the URL's last segment",
                      [_INTEGRATION_ID, _path("secret", "The integration's secret (its url as shown once)")],
                      path_secret=True)},
    "/alerts": {
        "get": _op("The account's alerts as they stand (one per source and fingerprint), one page", 200,
                   _obj({"alerts": {"type": "array", "items": _ref("Alert")}, "next_cursor": _NSTR},
                        ["alerts", "next_cursor"]),
                   params=[_q("status", "firing | resolved", _maybe("firing", "resolved")), _SERVICE,
                           _q("severity", "Only this severity", {"type": "string", "maxLength": 255}),
                           _ops_limit(50, 200), _OPS_CURSOR], errors=(400, 401))},
    "/alerts/{source}/{fingerprint}": {
        "get": _op("One alert (its key is <source>#<fingerprint>) and its firings, newest first", 200,
                   _ref("AlertHistory"),
                   params=[_path("source", "The integration type, or events"), _path("fingerprint", "The alert's"),
                           _ops_limit(50, 100), _OPS_CURSOR], errors=(400, 401, 404))},
    "/incidents": {
        "get": _op("Incidents opened in a window, newest first, one page", 200,
                   _obj({"window": _WINDOW, "incidents": {"type": "array", "items": _ref("Incident")},
                         "next_cursor": _NSTR}, ["window", "incidents", "next_cursor"]),
                   params=[*_OPS_WINDOW, _SERVICE,
                           _q("status", "open (triggered or acknowledged) | triggered | acknowledged | resolved",
                              _maybe("open", *INCIDENT_STATUSES)),
                           _ops_limit(100, 200), _OPS_CURSOR], errors=(400, 401))},
    "/incidents/{source}/{incident_id}": {
        "get": _op("One incident's timeline: its status changes, its alerts, the changes on its service before "
                   "it, and its times to detect, acknowledge and resolve", 200, _ref("IncidentTimeline"),
                   params=[_path("source", "The integration type, or events"),
                           _path("incident_id", "The incident's id at its source")], errors=(401, 404))},
    "/changes": {
        "get": _op("Changes (deploys, config changes) made in a window, newest first, one page", 200,
                   _obj({"window": _WINDOW, "changes": {"type": "array", "items": _ref("Change")},
                         "next_cursor": _NSTR}, ["window", "changes", "next_cursor"]),
                   params=[*_OPS_WINDOW, _SERVICE, _ops_limit(100, 200), _OPS_CURSOR], errors=(400, 401))},
    "/account/settings": {
        "get": _op("The account's business hours and time zone (the on-call analyses' off-hours)", 200,
                   _ref("AccountSettings"), errors=(401,)),
        "put": _op("Set the business hours and time zone (owner, admin); a field left out keeps its value", 200,
                   _ref("AccountSettings"),
                   body={**_obj({"business_hours": _ref("BusinessHours"),
                                 "timezone": {"enum": sorted(available_timezones()), "description": "IANA zone"}}),
                         "additionalProperties": False}, errors=(400, 401, 403, 413))},
    "/runs/{run_id}/tools/{name}": {
        "post": {**_op("An environment calls a service tool for its run (Authorization: Bearer <lease token>): "
                       "the operations data of the run's own account, or its automation's knowledge", 200,
                       _ref("ToolCall"),
                       params=[_RUN_ID, _path("name", "A tool of the work's tools: "
                                                      + ", ".join(s["name"] for s in ops_tools.SPECS))],
                       body=_obj({"arguments": {"description": "The tool's arguments: an object as its JSON schema "
                                                               "says (anything else is answered ok: false)"}}),
                       body_required=False, errors=(400, 401, 409, 413)), **_LEASE}},
})

# --- Knowledge: the teams' runbooks and service notes (docs/knowledge.md) ---------------------------------------
_DOCUMENT_ID = _path("document_id", "Document id (kb_…)")
_DOCUMENT_FIELDS = {
    "title": {**_NAME, "description": "What the document is about: searched with its text"},
    "team_id": {"anyOf": [_TEAM_ID, {"type": "null"}], "description": "0 or null = personal (everyone of the "
                "account sees it); a team of the owner's: its members"},
    "content": {"type": "string", "minLength": 1, "description": "Markdown; sections start at headings. At most "
                "KNOWLEDGE_MAX_BYTES (262,144) bytes in UTF-8: 413 above"}}
_SCHEMAS.update({
    "DocumentSummary": _obj({
        "id": _STR, "title": _STR, "team_id": _TEAM_ID, "owner_id": _STR,
        "size": {**_COUNT, "description": "Bytes of the content in UTF-8"},
        "sections": {**_COUNT, "description": "Markdown sections (a heading and its text)"},
        "created_at": _TIME, "updated_at": _TIME, "updated_by": _NSTR,
        "can_edit": {"type": "boolean", "description": "Whether the caller may change or delete it"}},
        ["id", "title", "team_id", "owner_id", "size", "sections", "created_at", "updated_at", "can_edit"]),
    "Document": {"allOf": [_ref("DocumentSummary"), _obj({"content": {"type": "string", "description": "Markdown"}},
                                                         ["content"])]},
    "DocumentCreate": {**_obj(_DOCUMENT_FIELDS, ["title", "content"]), "additionalProperties": False},
    "DocumentUpdate": {**_obj(_DOCUMENT_FIELDS), "additionalProperties": False},
    "KnowledgeHit": _obj({
        "document_id": _STR, "title": {"type": "string", "description": "The document's"},
        "team_id": _TEAM_ID, "heading": {"type": "string", "description": "The section's (the title for text "
                                                                            "before the first heading)"},
        "snippet": {"type": "string", "description": "About 240 characters around the query's words"},
        "score": {"type": "number", "description": "BM25; higher is better"},
        "text": {"type": "string", "description": "The section's text (the tool's `full` only)"}},
        ["document_id", "title", "team_id", "heading", "snippet", "score"]),
    "KnowledgeResults": _obj({"query": _STR, "results": {"type": "array", "items": _ref("KnowledgeHit")}},
                             ["query", "results"]),
    "RunKnowledge": _obj({
        "text": {"type": "string", "description": "Markdown appended to the system prompt: at most "
                                                  "KNOWLEDGE_PROMPT_CHARS characters"},
        "sources": {"type": "array", "items": _obj({"document_id": _STR, "title": _STR, "heading": _STR,
                                                    "score": {"type": "number"}})}}, ["text", "sources"]),
})
_DOCUMENT = _obj({"document": _ref("Document")}, ["document"])
_PATHS.update({
    "/knowledge": {
        "post": _op("Add a document (Markdown) to the caller's personal knowledge or a team's", 201, _DOCUMENT,
                    body=_ref("DocumentCreate"), errors=(400, 401, 413)),
        "get": _op("The documents the caller may see, newest first, without their content", 200,
                   _obj({"documents": {"type": "array", "items": _ref("DocumentSummary")},
                         "next_cursor": _NSTR}, ["documents", "next_cursor"]),
                   params=[_q("scope", "all (default) | personal | team", {"enum": ["all", "personal", "team"]}),
                           _q("team_id", "Only these teams' (repeatable)", _TEAM_ID),
                           _q("q", "Words the title must contain (any case)"), *_PAGE], errors=(400, 401))},
    "/knowledge/search": {
        "get": _op("Ranked full-text search (BM25) over the sections of the documents the caller may see", 200,
                   _ref("KnowledgeResults"),
                   params=[{**_q("q", "The words to look for", {"type": "string", "minLength": 1}),
                            "required": True},
                           _q("team_id", "What a run of this team's automations searches: the personal documents "
                                         "and the team's", _TEAM_ID),
                           _q("limit", "1-50, default 10", {"type": "integer", "minimum": 1, "maximum": 50})],
                   errors=(400, 401))},
    "/knowledge/{document_id}": {
        "get": _op("One document with its content", 200, _DOCUMENT, params=[_DOCUMENT_ID], errors=(401, 404)),
        "put": _op("Change a document's title, team or content (where the caller can edit it)", 200, _DOCUMENT,
                   body=_ref("DocumentUpdate"), params=[_DOCUMENT_ID], errors=(400, 401, 403, 404, 413)),
        "delete": _op("Delete a document", 204, None, params=[_DOCUMENT_ID], errors=(401, 403, 404))},
})

# Chalice answers 415 to a Content-Type a route does not read, on every route and before any handler runs.
# --- MCP servers ---------------------------------------------------------------------------------------------

_MCP_SERVER_ID = _path("mcp_server_id", "An MCP server's id (mcp_…)")
_MCP_HEADER = {"anyOf": [
    {"type": "string", "pattern": f"^{mcp_servers.HEADER_VALUE.pattern}$",
     "description": "A plain value of one line (shown to everyone who sees the server; a credential-looking "
                    "header must name a secret)"},
    {**_obj({"secret": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$",
                        "description": "The name of an account secret (PUT /secrets/{name}); its value is read "
                                       "when a run starts, never returned"},
             "prefix": {"type": "string", "maxLength": 64, "description": "Put before the value, e.g. 'Bearer '"}},
            ["secret"]), "additionalProperties": False}]}
_MCP_IN = {
    "name": {**_NAME, "maxLength": 128}, "team_id": _INTEGRATION_TEAM,
    "url": {"type": "string", "maxLength": 2048, "pattern": f"^{mcp_servers.URL.pattern}$",
            "description": "The server's streamable-HTTP endpoint: a host name or IPv4 address (reached through the "
                           "outbound guard)"},
    "headers": {"type": ["object", "null"], "maxProperties": mcp_servers.MAX_HEADERS,
                "propertyNames": {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$"},
                "additionalProperties": _MCP_HEADER},
    "allowed_tools": {"type": ["array", "null"], "maxItems": mcp_servers.MAX_ALLOWED_TOOLS,
                      "items": {"type": "string", "minLength": 1, "maxLength": 128},
                      "description": "Only these tools may be called (null: every tool)"}}

_SCHEMAS.update({
    "McpServer": _obj({
        "id": _STR, "name": _STR, "team_id": _INT, "url": _STR,
        "headers": {"type": "object", "additionalProperties": _MCP_HEADER,
                    "description": "Secret headers by name: a value is never returned"},
        "allowed_tools": {"type": ["array", "null"], "items": _STR}, "owner_id": _NSTR,
        "can_edit": {**_BOOL, "description": "Owners and admins change MCP servers"},
        "created_at": _TIME, "updated_at": _NTIME},
        ["id", "name", "team_id", "url", "headers", "allowed_tools", "can_edit", "created_at"]),
    "McpServerCreate": {**_obj(_MCP_IN, ["name", "url"]), "additionalProperties": False},
    "McpServerUpdate": {**_obj(_MCP_IN), "additionalProperties": False},
    "McpServerTest": {"anyOf": [
        _obj({"ok": {"const": True}, "elapsed_ms": {"type": "number"},
              "tools": {"type": "array", "items": _obj({"name": _STR, "description": _STR, "allowed": _BOOL},
                                                       ["name", "description", "allowed"])}},
             ["ok", "elapsed_ms", "tools"]),
        _obj({"ok": {"const": False}, "elapsed_ms": {"type": "number"},
              "error": {"type": "string", "description": "Refused by the outbound guard, unavailable (down, not "
                                                         "MCP, a header secret missing), or too slow"}},
             ["ok", "error"])]},
})
_MCP_ONE = _obj({"mcp_server": _ref("McpServer")}, ["mcp_server"])

_PATHS.update({
    "/mcp-servers": {
        "post": _op("Register an MCP server (owner, admin): its streamable-HTTP URL, headers (secrets by name) and "
                    "an optional allow-list of its tools", 201, _MCP_ONE, body=_ref("McpServerCreate"),
                    errors=(400, 401, 403, 413)),
        "get": _op("The MCP servers the caller may see (the account's, and their teams'), by name; never a secret "
                   "value", 200, _obj({"mcp_servers": {"type": "array", "items": _ref("McpServer")}},
                                      ["mcp_servers"]), errors=(401,))},
    "/mcp-servers/{mcp_server_id}": {
        "get": _op("One MCP server", 200, _MCP_ONE, params=[_MCP_SERVER_ID], errors=(401, 404)),
        "put": _op("Change any of its fields (owner, admin)", 200, _MCP_ONE, body=_ref("McpServerUpdate"),
                   params=[_MCP_SERVER_ID], errors=(400, 401, 403, 404, 413)),
        "delete": _op("Delete it (owner, admin); automations that chose it run without it, and say so", 204, None,
                      params=[_MCP_SERVER_ID], errors=(401, 403, 404))},
    "/mcp-servers/{mcp_server_id}/test": {
        "post": _op("Connect from the service, as a cloud-sandbox run would (outbound guard, deadline, header "
                    "secrets), and list the server's tools (owner, admin); a server that fails is ok: false with "
                    "the reason", 200, _ref("McpServerTest"), params=[_MCP_SERVER_ID], errors=(401, 403, 404))},
})

for _ops in _PATHS.values():
    for _operation in _ops.values():
        _operation["responses"].update(_errors(415))


# What the server checks that JSON Schema cannot say (it compares two fields, a field with the clock, or a
# request with what is stored): each is refused with a 400 naming the field (409 where it says so).
SERVER_CHECKS = [
    "`cursor` is a `next_cursor` the server gave for the same listing (the same automation or account); "
    "any other string is 400.",
    "A time window: `since` is before `until`; a run history's window is at most 180 days, that of "
    f"`GET /incidents` and `GET /changes` at most {ops_queries.MAX_WINDOW.days} days.",
    "An event's `occurred` is at most an hour ahead of the server's clock (one minute past that is refused).",
    "`team_id` names a team of the account, and the automation's owner is a member of it; a member cannot "
    "move an automation where they could no longer edit it (403).",
    "`environment.runner_id` names a runner of the account that serves the automation's scope (account-global "
    "or of its team).",
    "An automation has at least one trigger and at most one of each type; fields a schedule mode does not "
    "read (an hourly trigger's `hour` or `timezone`) are ignored, not refused.",
    "An event trigger whose names can match the service's own run events (`automation.*`, a leading "
    "wildcard, only negations) names the automations it watches in `match` `resource.id`, and never its own.",
    "An action `on` `triggered` needs an event trigger; a control action's target is an automation the "
    "saver may edit; a webhook's string payload renders to JSON; a template is within its budgets.",
    "The same `Idempotency-Key` with another body is 409; a body of only whitespace is not JSON (400).",
    f"An account has at most {ops_integrations.MAX_PER_ACCOUNT} integrations; `PUT /integrations/{{integration_id}}` "
    "takes a `signing_secret` only for a vendor that signs its deliveries (PagerDuty, GitHub).",
    "A delivery to `POST /hooks/…` is the payload of the integration's own type (the body's schema lists each "
    "type's); any other is 400, kept in the integration's errors.",
    "Business hours `start` is before `end`.",
    "An MCP server's header that looks like a credential (Authorization, Cookie, a name with token, key, "
    "secret or password) names an account secret that exists; an automation's `mcp_server_ids` are servers "
    "the caller sees, of the whole account or of the automation's own team (also when it moves); an account has "
    f"at most {mcp_servers.MAX_PER_ACCOUNT} MCP servers.",
    "A knowledge document's `team_id` is a team its owner is a member of; its content is at most "
    "KNOWLEDGE_MAX_BYTES in UTF-8 (413 above); an account has at most 1000 documents.",
    "An agent profile: `base_url` and `model` are required for `openai`; `builtin` takes no `model`, `base_url` "
    "or `api_key_secret`, `bedrock` no `base_url` or `api_key_secret`; a `base_url` on an address the outbound "
    "guard refuses is 400; only an account-wide profile can be the `default`. An automation's `agent_id` names a "
    "profile the caller sees that is account-wide or of the automation's team. A profile that automations use "
    "cannot be deleted, nor moved out of their scope (409 naming them).",
]


def document(server_url: str) -> dict:
    """The OpenAPI 3.1 document, with this deployment's URL as its server."""
    checks = "\n".join(f"- {check}" for check in SERVER_CHECKS)
    return {
        "openapi": "3.1.0",
        "info": {"title": "AI SRE automations", "version": __version__,
                 "description": "Rules that run an AI SRE agent session on a schedule or from a trigger URL, "
                                "and keep every run in a searchable history.\n\nWhat the server checks beyond "
                                f"these schemas (refused with 400 naming the field unless said):\n{checks}"},
        "servers": [{"url": server_url}],
        "security": [{"apiKey": []}],
        "paths": deepcopy(_PATHS),
        "components": {
            "schemas": deepcopy(_SCHEMAS),
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key (sreak_…)"},
                "triggerToken": {"type": "http", "scheme": "bearer", "description": "A trigger token (srett_…)"},
                "runnerToken": {"type": "http", "scheme": "bearer", "description": "A runner token (srert_…)"},
                "leaseToken": {"type": "http", "scheme": "bearer",
                               "description": "A run's lease token (srels_…): that run, while its environment "
                                              "holds it"},
                "integrationToken": {"type": "http", "scheme": "bearer",
                                     "description": "An integration's secret (srein_…), as the monitoring tool "
                                                    "sends it: that integration's hook"},
                **{f"{t}Signature": {"type": "apiKey", "in": "header", "name": _SIGNATURES.get(t, "signature"),
                                     "description": f"{v.title}'s HMAC-SHA256 signature of the body with the "
                                                    "integration's signing secret"}
                   for t, v in sorted(VENDORS.items()) if v.secret_kind == "signing"}},
        },
    }
