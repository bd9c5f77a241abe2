"""Session items: what environments stream in (checked here), the header the
service writes, and the whole session read back for the API. Items arrive in
batches (from the cloud sandbox's or a runner's `SessionWriter`); the sessions
repository keeps one item per message, tool call or artifact (or one part of
a large one), so a session can grow without limit. The header (seq 0) is
written by the service when the run starts and names the run, automation and
account that decide who may read the session; an environment can never
write it."""
import json

from chalicelib.errors import Invalid, NotFound
from chalicelib.store import repos
from chalicelib.store.records import SessionItem
from sre_agent.session import KINDS, PART_CHARS, SessionWriter

MAX_PARTS = 1000
LISTS = {"message": "messages", "tool_call": "tool_calls", "artifact": "artifacts"}


def write_header(session_id: str, run, environment: dict | None) -> None:
    """The session's first item: whose session it is and where it runs."""
    data = json.dumps({"automation_id": run.automation_id, "run_id": run.id, "account_id": run.account_id,
                       "environment": environment})
    repos.sessions.write(session_id, [SessionItem(0, "header", data)], run.expires_at)


def check_items(items) -> list[SessionItem]:
    """Items as an environment sends them, checked: Invalid (naming the item)
    for anything that is not a message, tool call or artifact part after the header."""
    if not isinstance(items, list):
        raise Invalid('items must be a list of {"seq", "kind", "data", "part", "parts"}', field="items")
    out = []
    for i, item in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(item, dict):
            raise Invalid(f"{where} must be an object", field=where)
        seq, kind, data = item.get("seq"), item.get("kind"), item.get("data")
        part, parts = item.get("part", 0), item.get("parts", 1)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (seq, part, parts)):
            raise Invalid(f"{where}: seq, part and parts must be integers", field=f"{where}.seq")
        if seq < 1 or not 0 <= part < parts <= MAX_PARTS:
            raise Invalid(f"{where}: seq must be >= 1 (0 is the header) and 0 <= part < parts <= {MAX_PARTS}",
                          field=f"{where}.seq")
        if kind not in KINDS:
            raise Invalid(f"{where}.kind must be one of {', '.join(KINDS)}", field=f"{where}.kind")
        if not isinstance(data, str) or len(data) > PART_CHARS:
            raise Invalid(f"{where}.data must be a string of at most {PART_CHARS} characters", field=f"{where}.data")
        out.append(SessionItem(seq=seq, kind=kind, data=data, part=part, parts=parts))
    return out


def write_items(session_id: str, items: list[SessionItem], expires_at) -> int:
    """Write a batch of items (BatchWriteItem, 25 a call, unprocessed ones retried)."""
    return repos.sessions.write(session_id, items, expires_at)


def load(session_id: str) -> dict:
    """The whole session as the API shows it, or 404."""
    out = {"id": session_id, "hidden": True, "messages": [], "tool_calls": [], "artifacts": []}
    pending, header, first = [], None, None
    for item in repos.sessions.items(session_id):
        first = item.seq if not pending else first
        pending.append(item.data)
        if item.part + 1 < item.parts:
            continue
        try:
            data = json.loads("".join(pending))
        except ValueError:  # an environment sent a broken entry: show the session without it
            data = None
        pending = []
        if item.kind == "header":
            header = data
        elif isinstance(data, dict):
            data["seq"] = first  # the order of messages and tool calls among each other
            out[LISTS[item.kind]].append(data)
    if header is None:
        raise NotFound(f"No session {session_id!r}.")
    out.update(automation_id=header["automation_id"], run_id=header["run_id"],
               environment=header.get("environment"))
    return out


def open_writer(session_id: str, run, clock, environment: dict | None = None):
    """A session written straight to the table (its header first), each entry
    at once: for code that works a session inside the service."""
    write_header(session_id, run, environment)
    return SessionWriter(lambda items: write_items(session_id, [SessionItem(**i) for i in items], run.expires_at),
                         clock, flush_seconds=0)
