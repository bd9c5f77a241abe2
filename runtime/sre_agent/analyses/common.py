"""What the five analyses share: the Result they hand the agent, the reader
that calls the tools (every call goes through the toolbox, so it is in the
session; pages are followed to the end under a bound; a failed call becomes
a data gap the report names), times, and the findings.json envelope."""
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sre_agent.clock import iso

FINDINGS_VERSION = 1  # findings.json's shape (docs/analyses.md); a breaking change gets a new number
MAX_PAGES = 50  # a runaway cursor, or far more data than a window should hold, stops here (and says so)
MAX_WINDOW = timedelta(days=31)  # the longest window a tool accepts


@dataclass
class Result:
    """What an analysis returns: the Markdown report, findings.json's object,
    the alert-volume chart (SVG text) and the run's one-line summary."""
    report: str
    findings: dict
    svg: str
    summary: str


@dataclass
class Gap:
    """A tool answer the analysis could not have: a failed call, or paging
    stopped at the bound."""
    tool: str
    error: str | None = None  # None: the pages stopped at MAX_PAGES
    pages: int = 0


@dataclass
class Reader:
    """The analyses' way to the tools: `call(name, args) -> dict` is the
    toolbox's (each call is recorded in the session with its input and
    output); failed calls are kept in `gaps` instead of stopping the analysis."""
    call: object
    max_pages: int = MAX_PAGES
    gaps: list = field(default_factory=list)

    def one(self, name: str, args: dict) -> dict | None:
        """One call's answer, or None when it failed (kept as a gap)."""
        answer = self.call(name, args)
        if not isinstance(answer, dict) or answer.get("ok") is False:
            error = answer.get("error") if isinstance(answer, dict) else None
            self.gaps.append(Gap(name, str(error or "no answer")))
            return None
        return answer

    def each(self, name: str, args: dict, key: str):
        """The rows under `key` of every page, in order, following `cursor`
        until it is null (at most `max_pages` pages)."""
        cursor, seen = None, set()
        for _ in range(self.max_pages):
            page = self.one(name, {**args, "cursor": cursor} if cursor else args)
            if page is None:
                return
            yield from (row for row in page.get(key) or [] if isinstance(row, dict))
            cursor = page.get("cursor")
            if not cursor:
                return
            if cursor in seen:  # a server that hands back a cursor again would loop forever
                self.gaps.append(Gap(name, f"the cursor {cursor!r} came back twice"))
                return
            seen.add(cursor)
        self.gaps.append(Gap(name, None, self.max_pages))

    def pages(self, name: str, args: dict, key: str) -> list[dict]:
        """Every row of every page (see `each`)."""
        return list(self.each(name, args, key))


def parse_time(value) -> datetime | None:
    """An ISO 8601 time of a tool answer as aware UTC, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def day_start(at: datetime) -> datetime:
    """Midnight (UTC) of `at`'s day: the tools' day aggregates start there."""
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def hour_floor(at: datetime) -> datetime:
    """`at` with minutes and seconds dropped."""
    return at.replace(minute=0, second=0, microsecond=0)


def minutes_between(earlier: datetime | None, later: datetime | None) -> int | None:
    """Whole minutes from `earlier` to `later` (None when either is unknown)."""
    if earlier is None or later is None:
        return None
    return int((later - earlier).total_seconds() // 60)


def window_args(since: datetime, until: datetime) -> dict:
    """A tool's since/until, within the tools' 31-day bound (the start moves up)."""
    return {"since": iso(max(since, until - MAX_WINDOW)), "until": iso(until)}


def envelope(template: str, since: datetime, until: datetime, findings: list, summary: dict) -> dict:
    """findings.json: {"version", "template", "window", "findings", "summary"}."""
    return {"version": FINDINGS_VERSION, "template": template, "window": {"since": iso(since), "until": iso(until)},
            "findings": findings, "summary": summary}


def ref(row: dict, *names: str) -> dict:
    """The identifying fields of an alert, incident or change in a finding ({"key", "name"} …)."""
    return {name: row.get(name) for name in ("key", *names)}
