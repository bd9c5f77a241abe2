"""Session storage: one DynamoDB item per message, tool call or artifact, so a
session can grow without limit; an entry larger than one item is split into
parts that are joined again on read."""
import json

from chalicelib.clock import iso
from chalicelib.errors import NotFound
from chalicelib.store.models import SessionEntry

PART_CHARS = 100_000  # well under DynamoDB's 400 KB item limit, even as UTF-8


class SessionWriter:
    """Appends entries to one session. `clock` is a callable returning now."""

    def __init__(self, session_id: str, run, clock, on_write=None):
        self.session_id, self.run, self.clock, self.on_write = session_id, run, clock, on_write
        self.seq = 0
        self._put("header", {"automation_id": run.automation_id, "run_id": run.id, "account_id": run.account_id})

    def _put(self, kind: str, data: dict) -> None:
        text = json.dumps(data, ensure_ascii=False, default=str)
        parts = [text[i:i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
        for index, chunk in enumerate(parts):
            SessionEntry(self.session_id, self.seq, kind=kind, data=chunk, part=index, parts=len(parts),
                         expires_at=self.run.expires_at).save()
            self.seq += 1
        if self.on_write:
            self.on_write()

    def message(self, role: str, content: str, tool_calls: list[dict] | None = None) -> None:
        """A message of the conversation; an assistant message that asks for
        tools names them ({"id", "tool"}) in `tool_calls`."""
        data = {"role": role, "content": content, "at": iso(self.clock())}
        if tool_calls:
            data["tool_calls"] = tool_calls
        self._put("message", data)

    def tool_call(self, tool: str, tool_input: dict, output, call_id: str | None = None) -> None:
        """A tool call with its input and output; `id` links it to the message that asked for it."""
        data = {"tool": tool, "input": tool_input, "output": output, "at": iso(self.clock())}
        if call_id:
            data["id"] = call_id
        self._put("tool_call", data)

    def artifact(self, name: str, media_type: str, content: str) -> None:
        self._put("artifact", {"name": name, "media_type": media_type, "content": content})


def load(session_id: str) -> dict:
    """The whole session as the API shows it, or 404."""
    out = {"id": session_id, "hidden": True, "messages": [], "tool_calls": [], "artifacts": []}
    pending, header = [], None
    for item in SessionEntry.query(session_id):
        pending.append(item.data)
        if int(item.part) + 1 < int(item.parts):
            continue
        data = json.loads("".join(pending))
        pending = []
        if item.kind == "header":
            header = data
        else:
            out[{"message": "messages", "tool_call": "tool_calls", "artifact": "artifacts"}[item.kind]].append(data)
    if header is None:
        raise NotFound(f"No session {session_id!r}.")
    out.update(automation_id=header["automation_id"], run_id=header["run_id"])
    return out
