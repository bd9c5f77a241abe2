"""Local-time schedules against computations of their own: a daily or weekly
rule runs at its local hour on every day of the year, once, in zones with DST
and with offsets that are not whole hours; the tick's due set for random rules
and ticks (DST days included) is exactly the one computed independently."""
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.rules import cron, local_time, schedule, schedule_index

# The zones the issue names, and a few more with DST or odd offsets.
ZONES = ["Australia/Sydney", "Pacific/Auckland", "America/Santiago", "Australia/Lord_Howe", "Australia/Adelaide",
         "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "Europe/Berlin", "America/New_York",
         "America/St_Johns", "Australia/Eucla", "Asia/Tehran", "UTC"]
TICK = timedelta(minutes=15)
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)


def _wall(at, zone):
    return at.astimezone(zone).replace(tzinfo=None)


def _first_tick_reaching(wall: datetime, zone) -> datetime:
    """Independently: the first quarter-hour tick at which the zone's wall
    clock reads `wall` or later, found by walking ticks from three hours
    before it (more than any offset change)."""
    at = wall.replace(tzinfo=UTC, minute=0) - zone.utcoffset(wall) - timedelta(hours=3)
    assert _wall(at, zone) < wall
    while _wall(at, zone) < wall:
        at += TICK
    return at


def _transitions(zone, year=2026):
    """The instants the zone's UTC offset changes in a year (hour resolution, then the exact quarter)."""
    out, at = [], datetime(year, 1, 1, tzinfo=UTC)
    while at.year == year:
        nxt = at + timedelta(hours=1)
        if at.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            t = at
            while t.astimezone(zone).utcoffset() == at.astimezone(zone).utcoffset():
                t += TICK
            out.append(t)
        at = nxt
    return out


# --- a whole year, every zone, every hour -------------------------------------------

def _year_of_runs(zone):
    """What the tick fires over 2026 (and a day either side): local (date, hour) -> [tick, ...]."""
    runs = {}
    at = YEAR_START - timedelta(days=1)
    while at < datetime(2027, 1, 2, tzinfo=UTC):
        before, now = _wall(at - TICK, zone), _wall(at, zone)
        for hour, weekday in local_time.due_hours(zone, at):
            # the wall-clock date whose `hour` was just reached
            (day,) = {d for d in (before.date(), now.date())
                      if before < datetime(d.year, d.month, d.day, hour) <= now}
            assert weekday == day.isoweekday() % 7, (zone, at, hour, weekday, day)
            runs.setdefault((day, hour), []).append(at)
        at += TICK
    return runs


@pytest.mark.parametrize("name", ZONES)
def test_every_local_hour_of_every_day_of_the_year_runs_once_at_that_local_time(name):
    zone = ZoneInfo(name)
    runs = _year_of_runs(zone)
    gaps = 0
    day = date(2026, 1, 1)
    while day.year == 2026:
        for hour in range(24):
            wall = datetime(day.year, day.month, day.day, hour)
            ticks = runs.get((day, hour), [])
            assert len(ticks) == 1, (name, wall, ticks)  # exactly once per day (so once per week for weekly)
            (at,) = ticks
            assert at == _first_tick_reaching(wall, zone)
            if _wall(at, zone) == wall:
                # on the chosen local hour, never early or late (+05:30 runs at :30 UTC)
                assert at.astimezone(zone).fold == 0  # the first of a repeated hour
            else:  # a local hour skipped by spring forward: the first tick after the gap
                gaps += 1
                assert _wall(at - TICK, zone) < wall < _wall(at, zone)
                assert at.astimezone(zone).utcoffset() > (at - TICK).astimezone(zone).utcoffset()
        day += timedelta(days=1)
    springs = [t for t in _transitions(zone)
               if t.astimezone(zone).utcoffset() > (t - TICK).astimezone(zone).utcoffset()]
    assert gaps == len(springs)  # one skipped local hour (Lord Howe: its :00 in the 30-minute gap) per spring forward


@pytest.mark.parametrize("name", ["Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago"])
def test_a_repeated_local_hour_runs_once_at_its_first_occurrence(name):
    zone = ZoneInfo(name)
    fall = [t for t in _transitions(zone) if t.astimezone(zone).utcoffset() < (t - TICK).astimezone(zone).utcoffset()]
    assert fall
    runs = _year_of_runs(zone)
    for t in fall:
        repeated = _wall(t, zone)  # the wall clock right after it was set back
        day, hour = repeated.date(), repeated.hour + (1 if repeated.minute else 0)
        (at,) = runs[(day, hour)]
        assert _wall(at, zone).hour == hour and at.astimezone(zone).fold == 0 and at < t + timedelta(hours=1)


@pytest.mark.parametrize(("name", "hour", "utc"), [
    ("Asia/Kolkata", 9, "03:30"), ("Asia/Kathmandu", 9, "03:15"), ("Pacific/Chatham", 9, "19:15"),
    ("Australia/Lord_Howe", 9, "22:00"), ("Australia/Adelaide", 9, "22:30")])
def test_offsets_that_are_not_whole_hours_run_at_the_local_hour_not_half_an_hour_late(name, hour, utc):
    runs = local_time.next_runs(hour, None, ZoneInfo(name), datetime(2026, 11, 23, tzinfo=UTC), 3)
    assert {r.strftime("%H:%M") for r in runs} == {utc}
    assert {r.astimezone(ZoneInfo(name)).strftime("%H:%M") for r in runs} == {f"{hour:02d}:00"}


def test_next_runs_follow_the_local_hour_across_a_dst_change():
    stored = schedule.parse({"mode": "daily", "hour": 9, "timezone": "Europe/Berlin"}, "t",
                            datetime(2026, 3, 26, 12, tzinfo=UTC))
    runs = schedule.next_runs(stored, datetime(2026, 3, 26, 12, tzinfo=UTC))
    shown = schedule.next_runs_local(stored, runs)
    assert [r["utc"] for r in shown] == ["2026-03-27T08:00:00Z", "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z",
                                         "2026-03-30T07:00:00Z", "2026-03-31T07:00:00Z"]
    assert [r["local"] for r in shown] == ["2026-03-27T09:00:00+01:00", "2026-03-28T09:00:00+01:00",
                                           "2026-03-29T09:00:00+02:00", "2026-03-30T09:00:00+02:00",
                                           "2026-03-31T09:00:00+02:00"]
    assert {r["timezone"] for r in shown} == {"Europe/Berlin"}
    # the UTC cron shown is the one in force for the next run
    assert schedule.shown(stored, datetime(2026, 3, 26, 12, tzinfo=UTC))["cron"] == "8 * * *"
    assert schedule.shown(stored, datetime(2026, 3, 29, 12, tzinfo=UTC))["cron"] == "7 * * *"


def test_weekly_next_runs_stay_on_the_local_weekday():
    stored = schedule.parse({"mode": "weekly", "hour": 2, "weekday": 1, "timezone": "Asia/Shanghai"}, "t",
                            datetime(2026, 11, 23, tzinfo=UTC))
    runs = schedule.next_runs(stored, datetime(2026, 11, 23, tzinfo=UTC))
    assert all(r.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%a %H:%M") == "Mon 02:00" for r in runs)
    assert all(r.strftime("%a %H:%M") == "Sun 18:00" for r in runs)
    assert stored["cron"] == "18 * * 0"


# --- the tick's due set, property-based ------------------------------------------

def _independently_due(trigger: dict, at: datetime) -> bool:
    """Due at tick `at`, computed without the index or the tick's interval rule."""
    if trigger["mode"] in ("daily", "weekly"):
        zone = ZoneInfo(trigger["timezone"])
        for day in {(_wall(at, zone) + timedelta(days=d)).date() for d in (-1, 0)}:
            if trigger["mode"] == "weekly" and day.isoweekday() % 7 != trigger["weekday"]:
                continue
            if _first_tick_reaching(datetime(day.year, day.month, day.day, trigger["hour"]), zone) == at:
                return True
        return False
    expr = "* * * *" if trigger["mode"] == "hourly" else trigger["cron"]
    return at.minute == 0 and croniter.match(f"0 {expr}", at.replace(tzinfo=None))


def _tick_due(rules, at: datetime) -> set[str]:
    """What the tick fires: the rules filed under a due slot (and, for a UTC cron, matching it)."""
    used = schedule_index.InUse([("acc", set().union(*(schedule_index.local_keys_of(r) for r in rules)))])
    slots = set(schedule_index.due_slots(at, used))
    return {e.automation_id for r in rules for e in schedule_index.entries_for(r)
            if e.slot in slots and (e.cron is None or cron.is_due(e.cron, at))}


_segment = st.one_of(st.just("*"), st.integers(0, 23).map(str))
_crons = st.builds(lambda h, dom, m, dow: f"{h} {dom} {m} {dow}", _segment,
                   st.one_of(st.just("*"), st.integers(1, 28).map(str)),
                   st.one_of(st.just("*"), st.integers(1, 12).map(str)),
                   st.one_of(st.just("*"), st.integers(0, 6).map(str)))
_triggers = st.one_of(
    st.just({"mode": "hourly"}),
    st.builds(lambda c: {"mode": "custom", "cron": c}, _crons),
    st.builds(lambda h, z: {"mode": "daily", "hour": h, "timezone": z}, st.integers(0, 23), st.sampled_from(ZONES)),
    st.builds(lambda h, w, z: {"mode": "weekly", "hour": h, "weekday": w, "timezone": z},
              st.integers(0, 23), st.integers(0, 6), st.sampled_from(ZONES)))
_DST_TICKS = sorted({t + k * TICK for z in ZONES for t in _transitions(ZoneInfo(z)) for k in range(-8, 9)})
_ticks = st.one_of(st.sampled_from(_DST_TICKS),
                   st.integers(0, 365 * 96).map(lambda q: YEAR_START + q * TICK))


def _aimed(items, at: datetime) -> list[dict]:
    """Each (trigger, aim) with aim set moved to the local hour (and weekday)
    the tick `at` falls in, so that many rules are due or nearly due."""
    out = []
    for item, aim in items:
        if aim and item["mode"] in ("daily", "weekly"):
            wall = _wall(at, ZoneInfo(item["timezone"]))
            item = {**item, "hour": wall.hour, **({"weekday": wall.isoweekday() % 7} if "weekday" in item else {})}
        elif aim and item["mode"] == "custom":
            hour, dom, month, dow = item["cron"].split()
            item = {**item, "cron": f"{at.hour if hour != '*' else '*'} {dom} {month} {dow}"}
        out.append(item)
    return out


_aimable = st.lists(st.tuples(_triggers, st.booleans()), min_size=1, max_size=12)


def _rules(items, saved: datetime):
    return [SimpleNamespace(id=f"aut_{i}", account_id="acc", enabled=True, deleted_at=None, scheduled_since=None,
                            triggers=[{"type": "schedule", **schedule.parse(dict(item), "t", saved)}])
            for i, item in enumerate(items)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(aimable=_aimable, at=_ticks, saved_days_before=st.integers(0, 200))
def test_the_ticks_due_set_is_the_independent_one(aimable, at, saved_days_before):
    items = _aimed(aimable, at)
    # when the rule was saved does not matter: the local time is the source of truth
    rules = _rules(items, at - timedelta(days=saved_days_before))
    expected = {r.id for r, item in zip(rules, items, strict=True) if _independently_due(item, at)}
    assert _tick_due(rules, at) == expected


@settings(max_examples=60, deadline=None)
@given(item=_triggers.filter(lambda t: t["mode"] in ("daily", "weekly")), at=_ticks)
def test_next_runs_are_the_ticks_that_fire_the_rule(item, at):
    (rule,) = _rules([item], at)
    trigger = rule.triggers[0]
    runs = schedule.next_runs(trigger, at, 2)
    assert all(_tick_due([rule], r) == {rule.id} for r in runs)
    # and no tick between now and the first of them fires it
    probe = local_time.floor_tick(at) + TICK
    while probe < runs[0]:
        assert not _tick_due([rule], probe), probe
        probe += TICK
