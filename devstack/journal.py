"""The local stack's journal: every write moto applies is on disk before moto
answers it.

moto keeps its state in memory and the stack snapshots it every few seconds
(devstack/persist.py); alone, that loses whatever was acknowledged since the
last snapshot when the process dies. So every write moto applies (DynamoDB
items, Secrets Manager secrets, SQS messages) is also appended here, and the
answer to the request that made it waits until the record is fsynced: a
SIGKILL (or a power cut) right after any answer keeps that write. The next
start loads the snapshot and replays the journal over it.

- A record is an after-image (the item, secret or message as it is after the
  write, or that it is gone), not the request: replaying it needs no
  condition evaluated again, and replaying a record the snapshot already
  holds changes nothing, so a crash anywhere in a snapshot is harmless.
- One line per write; a transaction is one line, so it replays whole or not
  at all. A crash can tear only the last line of a file, a write that was
  never acknowledged: reading skips it.
- Group commit: records are appended under the stack's write lock (in the
  order the writes land) and fsynced after it, once per AWS request (every
  item of a BatchWriteItem in one fsync), and one fsync covers every record
  appended before it, so concurrent requests share it. A read may see a
  write whose fsync is still running (its answer not yet sent); a write
  that depends on it is appended after it, so its fsync covers both.
- Generations: a snapshot moves the journal to a new file while writes wait
  (devstack/atomic.writes_held) and deletes the older files once the
  snapshot is on disk.
"""
import json
import os
import re
import threading
from pathlib import Path

_NAME = re.compile(r"^journal-(\d{8})\.jsonl$")
_sync = getattr(os, "fdatasync", os.fsync)  # the data and the file's length; macOS has fsync only
_local = threading.local()  # per thread: inside an AWS request?, the last record it must wait for
_current: "Journal | None" = None


class JournalCorrupt(RuntimeError):
    """A line in the middle of a journal file cannot be read: refuse to start
    rather than silently drop acknowledged writes."""


def path_of(directory: Path, generation: int) -> Path:
    """The file of one generation."""
    return Path(directory) / f"journal-{generation:08d}.jsonl"


def generations(directory: Path) -> list[int]:
    """The generations whose files are in `directory`, oldest first."""
    found = (_NAME.match(name) for name in os.listdir(directory))
    return sorted(int(m.group(1)) for m in found if m)


def read(directory: Path):
    """Every record of every file in `directory`, oldest first (a torn last
    line of a file is skipped: its write was never acknowledged)."""
    for generation in generations(directory):
        path = path_of(directory, generation)
        lines = path.read_bytes().split(b"\n")
        for number, line in enumerate(lines, 1):
            if not line:
                continue
            try:
                yield json.loads(line)
            except ValueError as exc:
                if number == len(lines):  # the last line, without its newline: torn by a crash
                    continue
                raise JournalCorrupt(f"{path}: line {number} cannot be read ({exc}); move the file away "
                                     "to start without the writes from it on") from exc


def drop_before(directory: Path, generation: int | None) -> None:
    """Delete the files of the generations before `generation` (every file:
    None), which a snapshot on disk holds; the directory's earlier renames
    (the snapshot's files) are made durable first."""
    _fsync_directory(directory)
    for older in generations(directory):
        if generation is None or older < generation:
            path_of(directory, older).unlink(missing_ok=True)
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make a file's creation, rename or removal in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """An append-only file of records, fsynced in groups, in generations."""

    def __init__(self, directory: Path, generation: int):
        self.directory, self.generation = Path(directory), generation
        self._lock = threading.Lock()  # the file descriptor and the counters
        self._sync_lock = threading.Lock()  # one fsync at a time; rotation waits for it
        self.written = self.durable = 0  # records appended / known to be on disk, counted since start
        self._fd = self._open(generation)

    def _open(self, generation: int) -> int:
        fd = os.open(path_of(self.directory, generation), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        _fsync_directory(self.directory)
        return fd

    def append(self, record: dict) -> int:
        """Write one record (not yet durable); returns its number for `sync`."""
        line = json.dumps(record, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view):]
            self.written += 1
            return self.written

    def sync(self, number: int) -> None:
        """Return once record `number` (and every one before it) is on disk."""
        if self.durable >= number:
            return
        with self._sync_lock:
            if self.durable >= number:  # another thread's fsync covered it meanwhile
                return
            with self._lock:
                target, fd = self.written, self._fd
            _sync(fd)
            self.durable = target

    def rotate(self) -> int:
        """Finish this generation's file (on disk) and append to a new one from
        now on; returns the new generation. Call it while writes wait."""
        with self._sync_lock, self._lock:
            _sync(self._fd)
            self.durable = self.written
            old, self.generation = self._fd, self.generation + 1
            self._fd = self._open(self.generation)
            os.close(old)
        return self.generation

    def close(self) -> None:
        """Flush and close the file (its records stay for the next start)."""
        with self._sync_lock, self._lock:
            _sync(self._fd)
            self.durable = self.written
            os.close(self._fd)


def start(directory: Path) -> Journal:
    """A journal in `directory`, appending to a generation after every file
    there (replay those first), installed as the one moto's writes go to."""
    global _current
    _current = Journal(directory, (generations(directory) or [0])[-1] + 1)
    return _current


def current() -> Journal | None:
    """The installed journal (None: writes are not journaled, as in the tests' moto)."""
    return _current


def stop() -> None:
    """Close the installed journal and journal nothing more."""
    global _current
    journal, _current = _current, None
    if journal is not None:
        journal.close()


def recording() -> bool:
    """True when writes are journaled (the hooks skip building records otherwise)."""
    return _current is not None


def record(entry: dict) -> None:
    """Append one after-image (call it under atomic's write lock, right after
    the write, so records are in the order the writes landed). Inside an AWS
    request the request's answer waits for it (see `answer_after_sync`);
    outside one it is fsynced now."""
    journal = _current
    if journal is None:
        return
    number = journal.append(entry)
    if getattr(_local, "depth", 0):
        _local.owed = number
    else:
        journal.sync(number)


def answer_after_sync() -> None:
    """Make every AWS request moto serves wait, before its answer, until the
    records its writes appended are on disk (idempotent)."""
    from moto.core.responses import BaseResponse

    if getattr(BaseResponse._dispatch, "_journaled", False):
        return
    dispatch = BaseResponse._dispatch

    def answered_after_sync(self, *args, **kw):
        depth = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        try:
            return dispatch(self, *args, **kw)
        finally:
            _local.depth = depth
            owed, journal = getattr(_local, "owed", 0), _current
            if depth == 0 and owed:
                _local.owed = 0
                if journal is not None:
                    journal.sync(owed)  # outside the write lock: other writes go on meanwhile

    answered_after_sync._journaled = True
    BaseResponse._dispatch = answered_after_sync

