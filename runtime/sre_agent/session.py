"""Session entries as items, and the writer that streams them in batches.

This module is part of the agent runtime that runners and the cloud sandbox
carry (no AWS, no database): a `SessionWriter` turns each message, tool call
or artifact into one or more items (a large entry is split into parts that
are joined again on read) and hands them to a sink in batches: a DynamoDB
BatchWriteItem in the cloud, an HTTP POST from a runner."""
import json
import time

from sre_agent.clock import iso

PART_CHARS = 32_000  # one part stays far under DynamoDB's 400 KB item and under one POST, even JSON-escaped
BATCH_ITEMS = 100  # a batch is written as BatchWriteItem calls of 25
BATCH_BYTES = 200_000  # one streamed batch, JSON-escaped, stays under the API's 256 KiB body limit
FLUSH_SECONDS = 1.0  # how long an entry may wait in the buffer: the session streams, it is not kept back
KINDS = ("message", "tool_call", "artifact")


def items_of(kind: str, data: dict, seq: int) -> list[dict]:
    """The items of one entry, numbered from `seq`."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    parts = [text[i:i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
    return [{"seq": seq + i, "kind": kind, "data": chunk, "part": i, "parts": len(parts)}
            for i, chunk in enumerate(parts)]


class SessionWriter:
    """Appends entries to one session and sends them to `sink(items)` in
    batches. `clock` is a callable returning now (the entries' `at`);
    `on_write` runs after every entry (lease renewal, time limits)."""

    def __init__(self, sink, clock, first_seq: int = 1, on_write=None, flush_seconds: float = FLUSH_SECONDS):
        self.sink, self.clock, self.on_write, self.flush_seconds = sink, clock, on_write, flush_seconds
        self.seq, self.pending, self.pending_bytes, self.oldest = first_seq, [], 0, None
        self.sent_items = self.sent_bytes = 0

    def _add(self, kind: str, data: dict) -> None:
        for item in items_of(kind, data, self.seq):
            size = len(json.dumps(item["data"])) + 60  # as it travels: escaped, with its keys
            if self.pending and (len(self.pending) >= BATCH_ITEMS or self.pending_bytes + size > BATCH_BYTES):
                self.flush()
            self.pending.append(item)
            self.pending_bytes += size
            self.seq += 1
        if self.oldest is None:
            self.oldest = time.monotonic()
        if time.monotonic() - self.oldest >= self.flush_seconds:
            self.flush()
        if self.on_write:
            self.on_write()

    def flush(self) -> None:
        """Send what is buffered (one batch)."""
        if not self.pending:
            return
        batch, self.pending, size = self.pending, [], self.pending_bytes
        self.pending_bytes, self.oldest = 0, None
        self.sink(batch)
        self.sent_items += len(batch)
        self.sent_bytes += size

    def message(self, role: str, content: str, tool_calls: list[dict] | None = None, refusal: bool = False) -> None:
        """A message of the conversation; an assistant message that asks for
        tools names them ({"id", "tool"}) in `tool_calls`; a model's refusal
        (its words in `content`) is marked `refusal: true`."""
        data = {"role": role, "content": content, "at": iso(self.clock())}
        if tool_calls:
            data["tool_calls"] = tool_calls
        if refusal:
            data["refusal"] = True
        self._add("message", data)

    def tool_call(self, tool: str, tool_input: dict, output, call_id: str | None = None) -> None:
        """A tool call with its input and output; `id` links it to the message that asked for it."""
        data = {"tool": tool, "input": tool_input, "output": output, "at": iso(self.clock())}
        if call_id:
            data["id"] = call_id
        self._add("tool_call", data)

    def artifact(self, name: str, media_type: str, content: str) -> None:
        self._add("artifact", {"name": name, "media_type": media_type, "content": content})
