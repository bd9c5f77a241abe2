"""HTTP routes of the AI SRE automations service. Each handler parses, calls
into chalicelib, and shapes the answer; the logic lives in chalicelib, and
the core's errors become answers in one place (chalicelib/http/errors.py)."""
import time
from urllib.parse import unquote

from chalice import Chalice, Cron, Rate, Response

from chalicelib import observability, secrets, settings, status, worker
from chalicelib.agents import profiles as agent_profiles
from chalicelib.clock import parse_iso, utcnow
from chalicelib.console import serve as console
from chalicelib.environments import claims, leases, runner_health, sandbox
from chalicelib.events import ingest
from chalicelib.events import query as events_query
from chalicelib.http import access, errors
from chalicelib.http.request import base_url, document_body, json_object, json_value, query, query_list
from chalicelib.identity import bootstrap as first_owner
from chalicelib.identity import directory, keys, permissions, removal, runners
from chalicelib.identity.caller import authenticate
from chalicelib.knowledge import documents as knowledge
from chalicelib.knowledge import search as knowledge_search
from chalicelib.mcp import probe as mcp_probe
from chalicelib.mcp import servers as mcp_servers
from chalicelib.observability import metrics
from chalicelib.ops import integrations
from chalicelib.ops import load as ops_load
from chalicelib.ops import queries as ops_queries
from chalicelib.rules import automations, templates
from chalicelib.runs import control, fire, history, late_start, reaper, records, sweeper, test_fire, tick, trigger_url

settings.check_deployment(settings.current())  # read once, at a cold start: a bad setting fails it, named
app = Chalice(app_name="sre-automations")
access.install(app)  # JSON logs with each invocation's ids, for every handler below
# Bodies are read as JSON whatever the declared type: `curl -d` without a
# Content-Type header says form-urlencoded, and a 415 would only confuse.
JSON_BODY = ["application/json", "text/plain", "application/x-www-form-urlencoded"]


def route(path: str, **options):
    """app.route, with the core's errors answered as the API documents them."""
    def register(view):
        app.route(path, **options)(errors.answering(view))
        return view
    return register


def _req():
    return app.current_request


def _caller():
    return authenticate(_req().headers)


def _admin():
    """The caller, who must be the account owner or an admin (else 403)."""
    caller = _caller()
    permissions.require_admin(caller)
    return caller


def _body(allow_empty=False):
    return json_object(_req().raw_body, allow_empty=allow_empty)


def _one(service, caller, object_id: str, shape):
    """GET, PUT or DELETE of one object of a service with get/update/delete: its JSON (`shape`), or 204."""
    method = _req().method
    if method == "DELETE":
        service.delete(caller, object_id)
        return Response(body="", status_code=204)
    found = service.update(caller, object_id, _body(), utcnow()) if method == "PUT" else service.get(caller, object_id)
    return shape(found)


@route("/health", methods=["GET"])
def health():
    return {"status": "ok"}


@route("/status", methods=["GET"])
def service_status():
    return status.status(_caller(), utcnow())


@route("/openapi.json", methods=["GET"])
def openapi_document():
    from chalicelib.http import openapi  # built on first use: a cold start does not pay for the document

    return openapi.document(base_url(_req()))


# --- Identity ---------------------------------------------------------------

@route("/me", methods=["GET"])
def me():
    caller = _caller()
    return {"user": {"id": caller.user_id, "email": caller.email, "role": caller.role},
            "teams": directory.teams_of(caller)}


@route("/users", methods=["POST"], content_types=JSON_BODY)
def create_user():
    caller = _caller()
    permissions.require_admin(caller)
    user, api_key = directory.create_user(caller, _body(), utcnow())
    return Response({"user": directory.user_json(user), "api_key": api_key}, status_code=201)


@route("/teams", methods=["POST", "GET"], content_types=JSON_BODY)
def teams_route():
    caller = _caller()
    if _req().method == "GET":
        return {"teams": directory.visible_teams(caller)}
    permissions.require_admin(caller)
    team = directory.create_team(caller, _body(), utcnow())
    return Response({"team": directory.team_json(team)}, status_code=201)


@route("/teams/{team_id}", methods=["DELETE"])
def delete_team(team_id):
    removal.delete_team(_admin(), team_id)
    return Response(body="", status_code=204)


@route("/teams/{team_id}/members/{user_id}", methods=["PUT", "DELETE"], content_types=JSON_BODY)
def team_member(team_id, user_id):
    caller = _caller()
    permissions.require_admin(caller)
    if _req().method == "PUT":
        directory.add_member(caller, team_id, user_id)
    else:
        directory.remove_member(caller, team_id, user_id)
    return {"team_id": int(team_id), "user_id": user_id, "member": _req().method == "PUT"}


@route("/runners", methods=["POST", "GET"], content_types=JSON_BODY)
def runners_route():
    caller = _caller()
    if _req().method == "GET":
        return {"runners": [runners.runner_json(r) for r in runners.visible_runners(caller)]}
    permissions.require_admin(caller)
    runner, token = runners.create_runner(caller, _body(), utcnow())
    return Response({"runner": runners.runner_json(runner), "token": token}, status_code=201)


@route("/api-keys", methods=["GET"])
def api_keys():
    return {"api_keys": keys.list_keys(_caller(), query(_req()).get("user_id") or None)}


@route("/api-keys/rotate", methods=["POST"], content_types=JSON_BODY)
def rotate_api_key():
    key, token = keys.rotate(_caller(), utcnow())
    return {"api_key": token, "key": key}


@route("/api-keys/{key_id}", methods=["DELETE"], content_types=JSON_BODY)
def revoke_api_key(key_id):
    keys.revoke(_caller(), key_id)
    return Response(body="", status_code=204)


@route("/users/{user_id}/api-keys", methods=["POST", "DELETE"], content_types=JSON_BODY)
def user_api_keys(user_id):
    caller = _admin()
    if _req().method == "DELETE":
        return {"revoked": keys.revoke_all(caller, user_id)}
    key, token = keys.issue(caller, user_id, utcnow())
    return Response({"api_key": token, "key": key}, status_code=201)


@route("/runners/{runner_id}", methods=["DELETE"])
def delete_runner(runner_id):
    removal.delete_runner(_admin(), runner_id)
    return Response(body="", status_code=204)


@route("/runners/{runner_id}/heartbeat", methods=["POST"], content_types=JSON_BODY)
def runner_heartbeat(runner_id):
    runner = runners.heartbeat(runner_id, _req().headers, _body(allow_empty=True), utcnow())
    return {"runner": runners.runner_json(runner)}


@route("/runners/{runner_id}/claim", methods=["POST"], content_types=JSON_BODY)
def runner_claim(runner_id):
    return claims.claim(runner_id, _req().headers, _body(allow_empty=True), utcnow)


@route("/runners/{runner_id}/token/rotate", methods=["POST"], content_types=JSON_BODY)
def rotate_runner_token(runner_id):
    caller = _admin()
    runner, token = runners.rotate_token(caller, runner_id, utcnow())
    return {"runner": runners.runner_json(runner), "token": token}


# --- Automations ------------------------------------------------------------

@route("/automations", methods=["POST", "GET"], content_types=JSON_BODY)
def automations_route():
    caller, req = _caller(), _req()
    if req.method == "GET":
        found, cursor = automations.list_visible(caller, query(req), query_list(req, "team_id"),
                                                 utcnow(), base_url(req))
        return {"automations": found, "next_cursor": cursor}
    locale = templates.pick_locale(None, req.headers.get("accept-language"))
    automation, shown_once = automations.create(caller, _body(), utcnow(), base_url(req), locale)
    return Response({"automation": automation, **shown_once}, status_code=201)


@route("/automations/{automation_id}", methods=["GET", "PATCH", "DELETE"], content_types=JSON_BODY)
def automation_route(automation_id):
    caller, req = _caller(), _req()
    if req.method == "GET":
        rule = automations.get_visible(caller, automation_id)
        return {"automation": automations.automation_json(rule, caller, base_url(req), utcnow())}
    if req.method == "DELETE":
        automations.delete(caller, automation_id, utcnow())
        return Response(body="", status_code=204)
    automation, shown_once = automations.update(caller, automation_id, _body(), utcnow(), base_url(req))
    return {"automation": automation, **shown_once}


@route("/automations/{automation_id}/enable", methods=["POST"], content_types=JSON_BODY)
def enable(automation_id):
    rule = automations.set_enabled(_caller(), automation_id, True, utcnow(), base_url(_req()))
    return {"automation": rule}


@route("/automations/{automation_id}/disable", methods=["POST"], content_types=JSON_BODY)
def disable(automation_id):
    reason = _body(allow_empty=True).get("reason")
    rule = automations.set_enabled(_caller(), automation_id, False, utcnow(), base_url(_req()), reason)
    return {"automation": rule}


@route("/automations/{automation_id}/api-trigger/rotate", methods=["POST"], content_types=JSON_BODY)
def rotate(automation_id):
    return automations.rotate(_caller(), automation_id, utcnow(), base_url(_req()))


@route("/automations/{automation_id}/webhook-secret/rotate", methods=["POST"], content_types=JSON_BODY)
def rotate_webhook_secret(automation_id):
    return {"webhook_signing": automations.rotate_signing_secret(_caller(), automation_id, utcnow())}


@route("/automations/{automation_id}/runs", methods=["GET"])
def automation_runs(automation_id):
    caller, req = _caller(), _req()
    automations.get_history_readable(caller, automation_id)
    found, cursor = history.list_runs(automation_id, query(req), utcnow())
    return {"runs": [records.run_json(r, base_url(req)) for r in found], "next_cursor": cursor}


@route("/automations/{automation_id}/test", methods=["POST"], content_types=JSON_BODY)
def test_automation(automation_id):
    return test_fire.test_fire(_caller(), automation_id, _body(allow_empty=True), utcnow())


@route("/secrets/{name}", methods=["PUT"], content_types=JSON_BODY)
def put_secret(name):
    caller = _caller()
    permissions.require_admin(caller)
    created = secrets.put_secret(caller.account_id, name, _body().get("value"))
    return Response({"name": name, "created": created}, status_code=201 if created else 200)


@route("/secrets", methods=["GET"])
def list_secrets():
    return {"secrets": secrets.list_names(_caller().account_id)}


@route("/agents", methods=["POST", "GET"], content_types=JSON_BODY)
def agents_route():
    caller, req = _caller(), _req()
    if req.method == "GET":
        default = agent_profiles.default_id(caller.account_id)
        return {"agents": [agent_profiles.agent_json(p, default) for p in agent_profiles.listing(caller)]}
    profile, default = agent_profiles.create(caller, _body(), utcnow())
    return Response({"agent": agent_profiles.agent_json(profile, default)}, status_code=201)


@route("/agents/{agent_id}", methods=["GET", "PUT", "DELETE"], content_types=JSON_BODY)
def agent_route(agent_id):
    caller, req = _caller(), _req()
    if req.method == "DELETE":
        agent_profiles.delete(caller, agent_id)
        return Response(body="", status_code=204)
    if req.method == "PUT":
        profile, default = agent_profiles.update(caller, agent_id, _body(), utcnow())
    else:
        profile, default = agent_profiles.get(caller, agent_id), agent_profiles.default_id(caller.account_id)
    return {"agent": agent_profiles.agent_json(profile, default)}


@route("/automation-templates", methods=["GET"])
def automation_templates():
    _caller()
    req = _req()
    locale = templates.pick_locale(query(req).get("locale"), req.headers.get("accept-language"))
    return {"locale": locale, "templates": list(templates.all_for(locale))}


# --- Trigger URL and runs -----------------------------------------------------

@route("/trigger/{trigger_id}", methods=["POST"], content_types=JSON_BODY)
def trigger(trigger_id):
    req = _req()
    run = trigger_url.trigger(trigger_id, req.headers, req.raw_body, utcnow())
    status_url = f"{base_url(req)}/runs/{run.id}"
    return Response({"run_id": run.id, "status": run.status, "status_url": status_url},
                    status_code=202, headers={"Location": status_url})


@route("/automations/{automation_id}/runs", methods=["POST"], content_types=JSON_BODY)
def start_run(automation_id):
    run = control.start_manual(_caller(), automation_id, _body(allow_empty=True), utcnow())
    return Response({"run": records.run_json(run, base_url(_req()))}, status_code=202)


@route("/runs/{run_id}", methods=["GET"])
def get_run(run_id):
    run = control.readable_run(_caller(), run_id, utcnow())
    return {"run": records.run_json(run, base_url(_req()))}


@route("/runs/{run_id}/cancel", methods=["POST"], content_types=JSON_BODY)
def cancel_run(run_id):
    run = control.cancel(_caller(), run_id, utcnow())
    return {"run": records.run_json(run, base_url(_req()))}


@route("/runs/{run_id}/session", methods=["POST"], content_types=JSON_BODY)
def run_session_items(run_id):
    return leases.append(run_id, _req().headers, _body(), utcnow())


@route("/runs/{run_id}/lease", methods=["POST"], content_types=JSON_BODY)
def run_lease(run_id):
    return leases.renew(run_id, _req().headers, utcnow())


@route("/runs/{run_id}/outcome", methods=["POST"], content_types=JSON_BODY)
def run_outcome(run_id):
    return leases.report(run_id, _req().headers, _body(), utcnow())


@route("/sessions/{session_id}", methods=["GET"])
def get_session(session_id):
    return {"session": control.readable_session(_caller(), session_id)}


# --- Events -------------------------------------------------------------------

@route("/events", methods=["POST", "GET"], content_types=JSON_BODY)
def events_route():
    caller, req = _caller(), _req()
    if req.method == "GET":
        found, cursor = events_query.list_events(caller, query(req), utcnow())
        return {"events": found, "next_cursor": cursor}
    result = fire.receive(caller.account_id, json_value(req.raw_body), utcnow())
    if not (result["accepted"] or result["duplicates"]):
        return errors.invalid(ingest.refusal_message(result), ingest.refusal_errors(result), **result)
    return Response(result, status_code=202)


# --- Console: the same shell for every page (the browser routes), and its assets ---

# --- Operations data: integrations, hooks, alerts, incidents, changes --------------

@route("/integrations", methods=["POST", "GET"], content_types=JSON_BODY)
def integrations_route():
    caller, req = _caller(), _req()
    if req.method == "GET":
        return {"integrations": [integrations.integration_json(i, base_url(req)) for i in integrations.listing(caller)]}
    integration, secret = integrations.create(caller, _body(), utcnow())
    return Response(integrations.shown_once(integration, secret, base_url(req)), status_code=201)


@route("/integrations/{integration_id}", methods=["GET", "PUT", "DELETE"], content_types=JSON_BODY)
def integration_route(integration_id):
    caller, url = _caller(), base_url(_req())
    return _one(integrations, caller, integration_id,
                lambda i: {"integration": integrations.integration_json(i, url)})


@route("/integrations/{integration_id}/rotate", methods=["POST"], content_types=JSON_BODY)
def rotate_integration(integration_id):
    integration, secret = integrations.rotate(_caller(), integration_id, utcnow())
    return integrations.shown_once(integration, secret, base_url(_req()))


@route("/hooks/{integration_id}", methods=["POST"], content_types=JSON_BODY)
def hook(integration_id):
    req = _req()
    return fire.receive_hook(integration_id, dict(req.headers), req.raw_body, utcnow())


@route("/hooks/{integration_id}/{secret}", methods=["POST"], content_types=JSON_BODY)
def hook_with_secret(integration_id, secret):
    req = _req()
    return fire.receive_hook(integration_id, dict(req.headers), req.raw_body, utcnow(), path_secret=secret)


@route("/alerts", methods=["GET"])
def alerts_route():
    return ops_queries.list_alerts(_caller().account_id, query(_req()))


@route("/alerts/{source}/{fingerprint}", methods=["GET"])
def alert_route(source, fingerprint):
    key = f"{unquote(source)}#{unquote(fingerprint)}"  # the parts as sent, percent-encoded
    return ops_queries.alert_history(_caller().account_id, key, query(_req()))


@route("/incidents", methods=["GET"])
def incidents_route():
    answer = ops_queries.query_incidents(_caller().account_id, query(_req()), utcnow())
    return {"window": answer["window"], "incidents": answer["incidents"], "next_cursor": answer["cursor"]}


@route("/incidents/{source}/{incident_id}", methods=["GET"])
def incident_route(source, incident_id):
    key = f"{unquote(source)}#{unquote(incident_id)}"
    return ops_queries.incident_timeline(_caller().account_id, {"key": key}, utcnow())


@route("/changes", methods=["GET"])
def changes_route():
    answer = ops_queries.query_changes(_caller().account_id, query(_req()), utcnow())
    return {"window": answer["window"], "changes": answer["changes"], "next_cursor": answer["cursor"]}


@route("/account/settings", methods=["GET", "PUT"], content_types=JSON_BODY)
def account_settings_route():
    caller, req = _caller(), _req()
    if req.method == "PUT":
        return ops_load.set_account_settings(caller, _body())
    return ops_load.account_settings(caller.account_id)


# --- MCP servers ---------------------------------------------------------------------

@route("/mcp-servers", methods=["POST", "GET"], content_types=JSON_BODY)
def mcp_servers_route():
    caller = _caller()
    if _req().method == "GET":
        return {"mcp_servers": [mcp_servers.server_json(s, caller) for s in mcp_servers.listing(caller)]}
    server = mcp_servers.create(caller, _body(), utcnow())
    return Response({"mcp_server": mcp_servers.server_json(server, caller)}, status_code=201)


@route("/mcp-servers/{mcp_server_id}", methods=["GET", "PUT", "DELETE"], content_types=JSON_BODY)
def mcp_server_route(mcp_server_id):
    caller = _caller()
    return _one(mcp_servers, caller, mcp_server_id, lambda s: {"mcp_server": mcp_servers.server_json(s, caller)})


@route("/mcp-servers/{mcp_server_id}/test", methods=["POST"], content_types=JSON_BODY)
def test_mcp_server(mcp_server_id):
    return mcp_probe.test(_caller(), mcp_server_id)
# --- Knowledge: the teams' runbooks and service notes ---------------------------------

@route("/knowledge", methods=["POST", "GET"], content_types=JSON_BODY)
def knowledge_route():
    caller, req = _caller(), _req()
    if req.method == "GET":
        found, cursor = knowledge.listing(caller, query(req), query_list(req, "team_id"))
        return {"documents": [knowledge.document_json(d, caller, content=False) for d in found], "next_cursor": cursor}
    document = knowledge.create(caller, document_body(req.raw_body), utcnow())
    return Response({"document": knowledge.document_json(document, caller)}, status_code=201)


@route("/knowledge/search", methods=["GET"])
def knowledge_search_route():
    return knowledge_search.for_caller(_caller(), query(_req()))


@route("/knowledge/{document_id}", methods=["GET", "PUT", "DELETE"], content_types=JSON_BODY)
def knowledge_document(document_id):
    caller, req = _caller(), _req()
    if req.method == "DELETE":
        knowledge.delete(caller, document_id)
        return Response(body="", status_code=204)
    if req.method == "PUT":
        document = knowledge.update(caller, document_id, document_body(req.raw_body), utcnow())
    else:
        document = knowledge.get(caller, document_id)
    return {"document": knowledge.document_json(document, caller)}


@route("/runs/{run_id}/tools/{name}", methods=["POST"], content_types=JSON_BODY)
def run_tool(run_id, name):
    return leases.tool(run_id, name, _req().headers, _body(allow_empty=True), utcnow())


@route("/ai-sre/automations", methods=["GET"])
@route("/ai-sre/automations/{rule_id}", methods=["GET"])
@route("/ai-sre/automations/{rule_id}/history", methods=["GET"])
@route("/ai-sre/chat", methods=["GET"])
@route("/ai-sre/events", methods=["GET"])
@route("/ai-sre/secrets", methods=["GET"])
@route("/ai-sre/integrations", methods=["GET"])
@route("/ai-sre/alerts", methods=["GET"])
@route("/ai-sre/agents", methods=["GET"])
@route("/ai-sre/mcp-servers", methods=["GET"])
@route("/ai-sre/knowledge", methods=["GET"])
def console_page(rule_id=None):
    return console.shell(base_url(_req()))


@route("/ai-sre/assets/{name}", methods=["GET"])
def console_asset(name):
    return console.asset(name)


# --- Ticks and queues: the same functions the local stack calls -----------------

@app.schedule(Cron("0/15", "*", "*", "*", "?", "*"), name="scheduler_tick")
def scheduler_tick(event):
    at, started = _event_time(event), time.monotonic()
    observability.bind(tick=at.isoformat())
    summary = tick.scheduler_tick(at)
    metrics.tick_completed(at, summary["jobs"], time.monotonic() - started, len(summary["caught_up"]))
    return summary


@app.schedule(Rate(1, unit=Rate.MINUTES), name="minute_tick")
def minute_tick(event):
    now = utcnow()
    return {"abandoned": reaper.reap(now), "swept": sweeper.sweep(now), "lost_leases": leases.expire_lost(now),
            "runner_queue_timeouts": claims.expire_waiting(now),
            "proactive_runs": [r.id for r in fire.fire_all(ingest.check_proactive(now), now)],
            "late_to_start_runs": [r.id for r in late_start.check(now)],
            "unhealthy_pools": [e["resource"]["pool"] for e in runner_health.check(now)]}


@app.on_sqs_message(queue="sre-automations-prod-fanout", batch_size=10, name="fan_out")
def fan_out(event):
    return tick.handle_jobs([r.to_dict() for r in event])


@app.on_sqs_message(queue="sre-automations-prod-runs", batch_size=5, name="worker")
def run_worker(event):
    return worker.handle_batch([r.to_dict() for r in event])


@app.on_sqs_message(queue="sre-automations-prod-sandbox", batch_size=1, name="sandbox")
def cloud_sandbox(event):
    return sandbox.handle([r.to_dict() for r in event])


@app.on_sqs_message(queue="sre-automations-prod-runs-dlq", batch_size=10, name="dead_letters")
def dead_letters(event):
    worker.handle_dead_letters([r.to_dict() for r in event])


@app.lambda_function(name="bootstrap")
def bootstrap(event, context):
    """Invoked once by `make deploy OWNER_EMAIL=…`: the first account owner and their API key."""
    return first_owner.bootstrap(event, utcnow())


def _event_time(event):
    """The time EventBridge meant to tick (not when the Lambda happened to start)."""
    stamp = event.to_dict().get("time")
    return parse_iso(stamp) if stamp else utcnow()
