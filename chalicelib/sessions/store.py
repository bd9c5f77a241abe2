"""Session storage: one DynamoDB item per message, tool call or artifact (or
one part of a large one), so a session can grow without limit. Items arrive
in batches (from the cloud sandbox's or a runner's `SessionWriter`) and are
written with BatchWriteItem: one call per 25 items. The header (seq 0) is
written by the service when the run starts and names the run, automation and
account that decide who may read the session; an environment can never
write it."""
import json

from chalicelib.errors import BadRequest, NotFound
from chalicelib.sessions.entries import KINDS, PART_CHARS
from chalicelib.store.models import SessionEntry

MAX_PARTS = 1000


def write_header(session_id: str, run, environment: dict | None) -> None:
    """The session's first item: whose session it is and where it runs."""
    data = json.dumps({"automation_id": run.automation_id, "run_id": run.id, "account_id": run.account_id,
                       "environment": environment})
    SessionEntry(session_id, 0, kind="header", data=data, part=0, parts=1, expires_at=run.expires_at).save()


def check_items(items) -> list[dict]:
    """Items as an environment sends them, checked: 400 for anything that is
    not a message, tool call or artifact part after the header."""
    if not isinstance(items, list):
        raise BadRequest('items must be a list of {"seq", "kind", "data", "part", "parts"}')
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(f"items[{i}] must be an object")
        seq, kind, data = item.get("seq"), item.get("kind"), item.get("data")
        part, parts = item.get("part", 0), item.get("parts", 1)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (seq, part, parts)):
            raise BadRequest(f"items[{i}]: seq, part and parts must be integers")
        if seq < 1 or not 0 <= part < parts <= MAX_PARTS:
            raise BadRequest(f"items[{i}]: seq must be >= 1 (0 is the header) and 0 <= part < parts <= {MAX_PARTS}")
        if kind not in KINDS:
            raise BadRequest(f"items[{i}].kind must be one of {', '.join(KINDS)}")
        if not isinstance(data, str) or len(data) > PART_CHARS:
            raise BadRequest(f"items[{i}].data must be a string of at most {PART_CHARS} characters")
    return items


def write_items(session_id: str, items: list[dict], expires_at) -> int:
    """Write a batch of items (BatchWriteItem, 25 a call, unprocessed ones retried)."""
    with SessionEntry.batch_write() as batch:
        for item in items:
            batch.save(SessionEntry(session_id, item["seq"], kind=item["kind"], data=item["data"],
                                    part=item.get("part", 0), parts=item.get("parts", 1), expires_at=expires_at))
    return len(items)


def load(session_id: str) -> dict:
    """The whole session as the API shows it, or 404."""
    out = {"id": session_id, "hidden": True, "messages": [], "tool_calls": [], "artifacts": []}
    pending, header, first = [], None, None
    for item in SessionEntry.query(session_id):
        first = int(item.seq) if not pending else first
        pending.append(item.data)
        if int(item.part) + 1 < int(item.parts):
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
            out[{"message": "messages", "tool_call": "tool_calls", "artifact": "artifacts"}[item.kind]].append(data)
    if header is None:
        raise NotFound(f"No session {session_id!r}.")
    out.update(automation_id=header["automation_id"], run_id=header["run_id"],
               environment=header.get("environment"))
    return out


def open_writer(session_id: str, run, clock, environment: dict | None = None):
    """A session written straight to the table (its header first), each entry
    at once: for code that works a session inside the service."""
    from chalicelib.sessions.entries import SessionWriter

    write_header(session_id, run, environment)
    return SessionWriter(lambda items: write_items(session_id, items, run.expires_at), clock, flush_seconds=0)
