"""The builtin agent's words in each language it writes: one catalog module
per locale (en_US.py, zh_CN.py, the same keys), and `Text`, which picks a
catalog and formats its strings, durations, times and shares.

A report is written in its template's locale; keys, field names and values
of findings.json stay English whatever the locale."""
from datetime import UTC, datetime

from sre_agent.i18n import en_US, zh_CN

CATALOGS = {"en-US": en_US.STRINGS, "zh-CN": zh_CN.STRINGS}
DEFAULT = "en-US"


def normalize(locale) -> str:
    """A supported locale for any tag: zh, zh-cn, zh-Hans… are zh-CN; anything else en-US."""
    tag = str(locale or "").strip().lower().replace("_", "-")
    return "zh-CN" if tag == "zh" or tag.startswith(("zh-cn", "zh-hans", "zh-sg")) else DEFAULT


class Text:
    """The strings of one locale: `tr("key", name=value)` formats one."""

    def __init__(self, locale=DEFAULT):
        self.locale = normalize(locale)
        self.strings = CATALOGS[self.locale]

    def __call__(self, name: str, /, **values) -> str:
        text = self.strings[name]
        return text.format(**values) if values else text

    def duration(self, seconds) -> str:
        """A span for people: "45 s", "12 min", "1 h 5 min", "2 d 3 h" (— when unknown)."""
        if seconds is None:
            return "—"
        seconds = max(0, int(seconds))
        if seconds < 60:
            return self("unit.s", n=seconds)
        minutes = seconds // 60
        if minutes < 60:
            return self("unit.min", n=minutes)
        hours, minutes = divmod(minutes, 60)
        if hours < 24:
            return self("unit.h_min", h=hours, m=minutes) if minutes else self("unit.h", n=hours)
        days, hours = divmod(hours, 24)
        return self("unit.d_h", d=days, h=hours) if hours else self("unit.d", n=days)

    def when(self, at: datetime | None) -> str:
        """A time as reports show it: "2026-12-08 10:00 UTC"."""
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "—"

    def span(self, since: datetime, until: datetime) -> str:
        """A window: "2026-12-01 12:00 – 2026-12-08 12:00 UTC"."""
        return f"{since.astimezone(UTC):%Y-%m-%d %H:%M} – {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"

    def share(self, part, whole) -> str:
        """A share as a percentage with one decimal ("—" of nothing)."""
        return f"{100.0 * part / whole:.1f}%" if whole else "—"

    def join(self, items) -> str:
        """Items in a sentence: "a, b" / "a、b"."""
        return self("list.sep").join(str(i) for i in items)

    def sentences(self, *items) -> str:
        """Sentences (or a sentence and its mark) in a row: spaced in English, not in Chinese."""
        return self("sentence.sep").join(str(i) for i in items if i)

    def clauses(self, items) -> str:
        """Clauses in one cell: "a; b" / "a；b"."""
        return self("list.semi").join(str(i) for i in items)
