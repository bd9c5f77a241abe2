"""A monitoring tool's delivery: `POST /hooks/{integration_id}` (and
`/hooks/{integration_id}/{secret}` for SNS, which cannot send headers).

    the integration by id        404 when there is none (the same answer for any unknown id)
    the vendor's proof           401, counted in the integration's `refused`, kept in its errors
    the payload, read whole      400 with the reason, kept in its errors; nothing is stored
    the arrivals                 alerts, incidents, changes (chalicelib/ops/apply.py), each once
    their events                 matched against event triggers: what fired is returned

Every arrival is idempotent (a firing is known by its alert and start, an
incident's happening by its id, a change's news by its time), so a
redelivery stores nothing and answers {"duplicate": true}, and a delivery cut
short half-way is stored whole when the tool retries it. No record of
deliveries is kept: it would cost two writes per delivery and add nothing.
"""
from dataclasses import dataclass, field

from chalicelib.clock import iso
from chalicelib.errors import Invalid, NotFound, TooLarge, Unauthorized
from chalicelib.events import ingest
from chalicelib.observability import bind, logger
from chalicelib.ops import apply
from chalicelib.ops.vendors import VENDORS
from chalicelib.ops.vendors.base import HookRequest
from chalicelib.store import ConditionFailed, repos

log = logger()
MAX_BODY = 1024 * 1024  # PagerDuty stops at 256 KiB; a large Alertmanager group stays well under this
_UNKNOWN = "No integration has this URL; copy the URL from the integration's page."


@dataclass
class Received:
    """What a delivery did: the answer, and the event triggers it fired (the run side starts their runs)."""
    answer: dict
    firings: list = field(default_factory=list)
    events: list = field(default_factory=list)


def receive(integration_id: str, headers: dict, body: bytes | None, now, path_secret: str | None = None) -> Received:
    """Take one delivery of an integration (see the module's docstring)."""
    body = body or b""
    if len(body) > MAX_BODY:
        raise TooLarge(f"The body is {len(body)} bytes; a delivery may have at most {MAX_BODY} bytes.")
    integration = repos.integrations.by_id(integration_id)
    if integration is None:
        raise NotFound(_UNKNOWN)
    bind(account_id=integration.account_id, integration_id=integration.id)
    vendor = VENDORS[integration.type]
    request = HookRequest(headers={k.lower(): v for k, v in (headers or {}).items()}, body=body,
                          path_secret=path_secret)
    try:
        vendor.authenticate(integration, request, now)
    except Unauthorized as exc:
        _turned_away(integration, now, f"refused: {exc}", refused=True)
        raise
    try:
        parsed = vendor.parse(integration, request, now)
    except Invalid as exc:
        _turned_away(integration, now, f"malformed: {exc}", refused=False)
        raise
    if parsed.reply is not None:  # a ping: nothing to store
        repos.integrations.note_received(integration, iso(now))
        return Received(answer=parsed.reply)
    if parsed.confirm_url:
        return Received(answer=_confirm(integration, vendor, parsed.confirm_url, now))
    return _store(integration, parsed, now)


def _store(integration, parsed, now) -> Received:
    applied = apply.apply_all(integration.account_id, parsed.alerts, parsed.incidents, parsed.changes, now,
                              integration_id=integration.id)
    repos.integrations.note_received(integration, iso(now))
    arrivals = len(parsed.alerts) + len(parsed.incidents) + len(parsed.changes)
    if arrivals and not applied.events:
        log.info("nothing new in the delivery", extra={"delivery": parsed.delivery_key[:80]})
    return Received(answer={"duplicate": bool(arrivals) and not applied.events,
                            "received": {"alerts": applied.alerts, "incidents": applied.incidents,
                                         "changes": applied.changes},
                            "events": [event["id"] for event in applied.events], "runs": []},
                    firings=match(integration.account_id, applied.events, now), events=applied.events)


def match(account_id: str, events: list[dict], now) -> list:
    """The event triggers the new events fire (each trigger-index bucket read once for all of them)."""
    firings, index_read = [], {}
    for event in events:
        firings += ingest.match(account_id, event, now, index_read)
    return firings


def _confirm(integration, vendor, url: str, now) -> dict:
    """An SNS subscription confirmation: visit its SubscribeURL, and say so on the integration."""
    vendor.confirm(url)
    repos.integrations.change(integration, {"confirmed_at": iso(now)})
    repos.integrations.note_received(integration, iso(now))
    return {"confirmed": True}


def _turned_away(integration, now, reason: str, refused: bool) -> None:
    log.warning("delivery turned away", extra={"reason": reason[:300]})
    try:
        repos.integrations.note_error(integration, iso(now), reason, refused=refused)
    except ConditionFailed:  # deleted meanwhile: nothing to count on
        pass
