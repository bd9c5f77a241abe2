"""alert-volume.svg: alert volume over an analysis' window, as plain SVG text.

Windows up to two days get hourly bars, counted from the minutes alerts
started in (alert_days' `start_minutes`: distinct minutes, so two firings of
one alert in the same minute count once); longer windows get daily bars of
`fired`. Every bucket has its bar (an empty one is 0 high), with a tooltip;
changes or an incident's moments can be marked with dashed lines."""
from datetime import UTC, date, datetime, timedelta
from xml.sax.saxutils import escape

from sre_agent.analyses.common import hour_floor

HOURLY_UP_TO = timedelta(days=2)
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 44, 64
BAR, MARK, INK, GRID = "#2563eb", "#dc2626", "#1f2937", "#e5e7eb"
FONTS = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'PingFang SC', 'Microsoft YaHei', sans-serif"
MAX_LABELS = 12


def starts_of(row: dict):
    """The start minutes of one alert_days row as aware UTC datetimes."""
    try:
        base = datetime.combine(date.fromisoformat(row["day"]), datetime.min.time(), UTC)
    except (KeyError, TypeError, ValueError):
        return
    for minute in row.get("start_minutes") or ():
        if isinstance(minute, int) and 0 <= minute < 1440:
            yield base + timedelta(minutes=minute)


def buckets(rows: list[dict], since: datetime, until: datetime) -> tuple[bool, datetime, list[int]]:
    """(hourly, the first bucket's start, the count of each bucket) of the window."""
    if until - since <= HOURLY_UP_TO:
        first = hour_floor(since)
        counts = [0] * max(1, -(-int((until - first).total_seconds()) // 3600))
        low = since.replace(second=0, microsecond=0)  # starts are whole minutes
        for row in rows:
            for at in starts_of(row):
                if low <= at <= until:
                    counts[min(len(counts) - 1, int((at - first).total_seconds() // 3600))] += 1
        return True, first, counts
    first = datetime.combine(since.astimezone(UTC).date(), datetime.min.time(), UTC)
    counts = [0] * ((until.astimezone(UTC).date() - first.date()).days + 1)
    for row in rows:
        try:
            index = (date.fromisoformat(row["day"]) - first.date()).days
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= index < len(counts):
            counts[index] += int(row.get("fired") or 0)
    return False, first, counts


def _scale(peak: int) -> tuple[int, int]:
    """(top of the axis, tick step): a 1-2-5 step with at most 5 ticks above 0."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if peak <= factor * step * 5:
                tick = factor * step
                return max(tick, -(-peak // tick) * tick), tick
        step *= 10


def alert_volume(rows: list[dict], since: datetime, until: datetime, tr, subject: str | None = None,
                 marks=(), marks_legend: str | None = None) -> str:
    """The chart of the window (see the module), its title in `tr`'s language;
    `marks` are (time, label) pairs drawn as dashed lines, which
    `marks_legend` names."""
    hourly, first, counts = buckets(rows, since, until)
    size = timedelta(hours=1) if hourly else timedelta(days=1)
    title = tr("chart.title_of", subject=subject, span=tr.span(since, until)) if subject else \
        tr("chart.title", span=tr.span(since, until))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top, tick = _scale(max(counts))
    step = plot_w / len(counts)
    bar_w = max(1.0, step * 0.8)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
           f'font-family="{FONTS}" font-size="11" fill="{INK}">',
           f"<title>{escape(title)}</title>",
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
           f'<text x="{WIDTH / 2:.0f}" y="24" text-anchor="middle" font-size="14" font-weight="600">'
           f"{escape(title)}</text>"]
    for value in range(0, top + 1, tick):  # the value axis: grid lines and their labels
        y = TOP + plot_h - value / top * plot_h
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    every = max(1, -(-len(counts) // MAX_LABELS))
    for i, count in enumerate(counts):
        start = first + i * size
        x = LEFT + i * step + (step - bar_w) / 2
        h = count / top * plot_h
        when = f"{start:%Y-%m-%d %H:00}" if hourly else f"{start:%Y-%m-%d}"
        out.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                   f'fill="{BAR}"><title>{when}: {count}</title></rect>')
        if i % every == 0:
            # an hour's label sits where it starts (so marks line up with it), a day's under its bar;
            # a new day reads as its date
            label = f"{start:%H:00}" if hourly and start.hour else f"{start:%m-%d}"
            out.append(f'<text x="{LEFT + (i + (0 if hourly else 0.5)) * step:.1f}" y="{TOP + plot_h + 16}" '
                       f'text-anchor="middle">{label}</text>')
    span_seconds = len(counts) * size.total_seconds()
    for at, label in marks:
        offset = (at - first).total_seconds() / span_seconds
        if 0 <= offset <= 1:
            x = LEFT + offset * plot_w
            out.append(f'<line class="mark" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="{MARK}" '
                       f'stroke-dasharray="4 3"><title>{escape(str(label))}</title></line>')
    if marks_legend and marks:
        out.append(f'<line x1="{WIDTH - RIGHT - 150}" y1="{HEIGHT - 22}" x2="{WIDTH - RIGHT - 130}" '
                   f'y2="{HEIGHT - 22}" stroke="{MARK}" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{WIDTH - RIGHT - 125}" y="{HEIGHT - 18}">{escape(marks_legend)}</text>')
    axis_x = tr("chart.x_hour") if hourly else tr("chart.x_day")
    out += [f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="{INK}"/>',
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="{INK}"/>',
            f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 18}" text-anchor="middle">{escape(axis_x)}</text>',
            f'<text transform="translate(16 {TOP + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle">'
            f"{escape(tr('chart.y'))}</text>",
            "</svg>"]
    return "\n".join(out) + "\n"
