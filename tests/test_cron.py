"""Unit tests of the 4-segment UTC cron and of the schedule index's due keys."""
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from chalicelib.errors import Invalid
from chalicelib.rules import cron, schedule_index

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 23 Nov 2026, 10:00 UTC


def _refused(expr, field="cron") -> str:
    with pytest.raises(Invalid) as exc:
        cron.parse(expr, field)
    return str(exc.value)


# --- parse: what is refused -------------------------------------------------

@pytest.mark.parametrize(("expr", "segment", "raw"), [
    ("24 * * *", "hour", "24"),
    ("99 * * *", "hour", "99"),
    ("* 0 * *", "day-of-month", "0"),
    ("* 32 * *", "day-of-month", "32"),
    ("* * 0 *", "month", "0"),
    ("* * 13 *", "month", "13"),
    ("* * * 8", "day-of-week", "8"),
])
def test_out_of_range_segment_is_refused_naming_the_segment(expr, segment, raw):
    message = _refused(expr)
    assert f"{segment} segment '{raw}'" in message
    assert "out of range" in message


@pytest.mark.parametrize(("expr", "segment"), [
    ("1-5 * * *", "hour"),
    ("* 1,2 * *", "day-of-month"),
    ("* * */2 *", "month"),
    ("* * * MON", "day-of-week"),
    ("* * JAN *", "month"),
    ("* * * 1-5", "day-of-week"),
    ("*/2 * * *", "hour"),
    ("-1 * * *", "hour"),
    ("? * * *", "hour"),
    ("* * * ١", "day-of-week"),  # a non-ASCII digit
])
def test_ranges_lists_steps_and_names_are_refused(expr, segment):
    message = _refused(expr)
    assert f"{segment} segment" in message
    assert "not allowed" in message


@pytest.mark.parametrize("expr", ["9 * *", "0 9 * * 1", "", "9", "0 9 * * 1 2026"])
def test_wrong_number_of_segments_is_refused(expr):
    message = _refused(expr)
    assert "exactly 4 segments" in message
    assert f"got {len(expr.split())}" in message


@pytest.mark.parametrize("expr", [None, 9, ["9", "*", "*", "*"]])
def test_non_string_is_refused(expr):
    assert "must be a string" in _refused(expr)


def test_error_message_names_the_field_it_was_given():
    assert _refused("24 * * *", field="triggers[0].cron").startswith("triggers[0].cron: hour")


# --- parse / normalise: what is accepted ------------------------------------

def test_day_of_week_7_is_sunday_0():
    assert cron.normalise("9 * * 7") == "9 * * 0"
    assert cron.parse("* * * 7") == ("*", "*", "*", "0")


def test_leading_zeros_are_dropped():
    assert cron.normalise("09 * * *") == "9 * * *"
    assert cron.normalise("00 01 02 03") == "0 1 2 3"


def test_extra_whitespace_is_normalised():
    assert cron.normalise("  9   *\t* 1 ") == "9 * * 1"


@pytest.mark.parametrize("expr", ["0 1 1 0", "23 31 12 7", "* * * *", "9 * * 1", "* 29 2 *", "* 31 1 *"])
def test_boundary_values_are_accepted(expr):
    cron.parse(expr)


@pytest.mark.parametrize("expr", ["* 30 2 *", "* 31 2 *", "* 31 4 *", "0 31 4 *", "5 31 6 *", "* 31 9 *", "* 31 11 *"])
def test_day_that_never_occurs_in_its_month_is_refused(expr):
    message = _refused(expr)
    assert "never" in message
    assert "day-of-month" in message


def test_impossible_day_is_accepted_when_day_of_week_is_also_set():
    # Standard cron: dom OR dow, so '* 30 2 1' runs every hour of every Monday in February.
    assert cron.normalise("* 30 2 1") == "* 30 2 1"
    runs = cron.next_runs("* 30 2 1", MONDAY)
    assert all(r.month == 2 and r.isoweekday() == 1 for r in runs)


def test_feb_29_is_accepted_and_runs_in_leap_years():
    runs = cron.next_runs("6 29 2 *", MONDAY, count=2)
    assert runs == [datetime(2028, 2, 29, 6, tzinfo=UTC), datetime(2032, 2, 29, 6, tzinfo=UTC)]


# --- next_runs -------------------------------------------------------------

def test_next_runs_weekly_monday_nine():
    runs = cron.next_runs("9 * * 1", MONDAY)
    # MONDAY is already past 09:00, so the first run is next Monday.
    assert runs == [datetime(2026, 11, 30, 9, tzinfo=UTC), datetime(2026, 12, 7, 9, tzinfo=UTC),
                    datetime(2026, 12, 14, 9, tzinfo=UTC), datetime(2026, 12, 21, 9, tzinfo=UTC),
                    datetime(2026, 12, 28, 9, tzinfo=UTC)]
    assert all(r.tzinfo is not None and r.utcoffset() == timedelta(0) for r in runs)


def test_next_runs_same_day_when_hour_still_ahead():
    runs = cron.next_runs("11 * * 1", MONDAY, count=2)
    assert runs == [datetime(2026, 11, 23, 11, tzinfo=UTC), datetime(2026, 11, 30, 11, tzinfo=UTC)]


def test_next_runs_is_strictly_after_now():
    at_nine = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    runs = cron.next_runs("9 * * 1", at_nine)
    assert runs[0] == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert all(r > at_nine for r in runs)


def test_next_runs_hourly_are_the_following_whole_hours():
    now = datetime(2026, 11, 23, 10, 17, 42, tzinfo=UTC)
    assert cron.next_runs("* * * *", now) == [datetime(2026, 11, 23, h, tzinfo=UTC) for h in range(11, 16)]


def test_next_runs_default_count_is_five_and_count_is_respected():
    assert len(cron.next_runs("* * * *", MONDAY)) == 5
    assert len(cron.next_runs("* * * *", MONDAY, count=3)) == 3


def test_next_runs_accepts_a_non_utc_now_and_answers_in_utc():
    # 11:30 in UTC+02:00 is 09:30 UTC: the 09:00 UTC run of that Monday is already past.
    now = datetime(2026, 11, 23, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    runs = cron.next_runs("9 * * 1", now, count=1)
    assert runs == [datetime(2026, 11, 30, 9, tzinfo=UTC)]
    assert runs[0].utcoffset() == timedelta(0)


def test_next_runs_sunday_as_7_equals_sunday_as_0():
    assert cron.next_runs("5 * * 7", MONDAY) == cron.next_runs("5 * * 0", MONDAY)
    assert cron.next_runs("5 * * 0", MONDAY)[0] == datetime(2026, 11, 29, 5, tzinfo=UTC)


def test_day_of_month_or_day_of_week_when_both_are_set():
    # January 2026: Fridays are the 2nd, 9th, 16th, 23rd, 30th; the 13th is a Tuesday.
    runs = cron.next_runs("0 13 * 5", datetime(2026, 1, 1, tzinfo=UTC))
    assert runs == [datetime(2026, 1, d, 0, tzinfo=UTC) for d in (2, 9, 13, 16, 23)]
    assert any(r.day == 13 and r.isoweekday() != 5 for r in runs)
    assert any(r.isoweekday() == 5 and r.day != 13 for r in runs)


def test_month_still_restricts_when_dom_and_dow_are_both_set():
    # May 2026: the 13th is a Wednesday; Fridays are the 1st, 8th, 15th, 22nd, 29th.
    runs = cron.next_runs("0 13 5 5", datetime(2026, 1, 1, tzinfo=UTC), count=6)
    assert runs == [datetime(2026, 5, d, 0, tzinfo=UTC) for d in (1, 8, 13, 15, 22, 29)]


# --- is_due ----------------------------------------------------------------

def test_is_due_matches_the_hour_containing_at():
    assert cron.is_due("10 * * 1", MONDAY)
    assert cron.is_due("10 * * 1", MONDAY.replace(minute=59))
    assert not cron.is_due("10 * * 1", MONDAY.replace(hour=11))
    assert not cron.is_due("10 * * 2", MONDAY)
    assert cron.is_due("* 23 11 *", MONDAY)
    assert not cron.is_due("* 23 12 *", MONDAY)
    assert cron.is_due("* * * *", MONDAY)


def test_is_due_converts_at_to_utc():
    # 23:30 on Sunday in UTC-05:00 is 04:30 on Monday UTC.
    at = datetime(2026, 11, 22, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert cron.is_due("4 * * 1", at)
    assert not cron.is_due("23 * * 0", at)


def test_is_due_sunday_as_7():
    sunday = datetime(2026, 11, 29, 5, tzinfo=UTC)
    assert cron.is_due("5 * * 7", sunday)
    assert cron.is_due("5 * * 0", sunday)


def test_is_due_dom_or_dow():
    tuesday_13th = datetime(2026, 1, 13, 0, tzinfo=UTC)
    friday_2nd = datetime(2026, 1, 2, 0, tzinfo=UTC)
    wednesday_14th = datetime(2026, 1, 14, 0, tzinfo=UTC)
    assert cron.is_due("0 13 * 5", tuesday_13th)
    assert cron.is_due("0 13 * 5", friday_2nd)
    assert not cron.is_due("0 13 * 5", wednesday_14th)


@pytest.mark.parametrize("expr", [
    "9 * * 1", "0 13 * 5", "0 13 5 5", "* 30 2 1", "* 31 * *", "12 1 * *", "3 * 6 *",
    "* 15 3 *", "23 * * 0", "7 29 2 *", "5 * * 6", "0 1 1 3",
])
def test_is_due_agrees_with_next_runs(expr):
    start = datetime(2026, 1, 1, 0, tzinfo=UTC)
    end = start + timedelta(days=800)  # crosses a leap day (2028-02-29)
    hours = (end - start) // timedelta(hours=1)
    due = [start + timedelta(hours=h) for h in range(1, hours + 1) if cron.is_due(expr, start + timedelta(hours=h))]
    assert due, "the window should contain at least one run"
    runs = cron.next_runs(expr, start, count=len(due) + 1)
    assert runs[:-1] == due
    assert runs[-1] > end


# --- schedule index: due keys ----------------------------------------------

def test_cron_keys_are_the_16_combinations():
    keys = schedule_index.cron_keys(MONDAY)
    assert len(keys) == 16
    assert len(set(keys)) == 16
    assert "* * * *" in keys
    assert "10 23 11 1" in keys  # Monday 23 November, 10:00 UTC
    assert "10 * * *" in keys
    assert "* * * 1" in keys
    assert "* 23 11 *" in keys
    assert "9 * * *" not in keys


def test_cron_keys_are_all_valid_normalised_crons_that_are_due():
    for at in (MONDAY, datetime(2026, 1, 4, 0, tzinfo=UTC), datetime(2028, 2, 29, 23, tzinfo=UTC)):
        for key in schedule_index.cron_keys(at):
            assert cron.normalise(key) == key
            assert cron.is_due(key, at)


def test_cron_keys_use_sunday_as_0_and_no_leading_zeros():
    sunday = datetime(2026, 1, 4, 5, tzinfo=UTC)
    keys = schedule_index.cron_keys(sunday)
    assert "5 4 1 0" in keys
    assert "* * * 0" in keys
    assert not any(k.endswith(" 7") or "05" in k or "01" in k or "04" in k for k in keys)


def test_cron_keys_convert_at_to_utc():
    at = datetime(2026, 11, 22, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # Mon 04:30 UTC
    assert "4 23 11 1" in schedule_index.cron_keys(at)


@pytest.mark.parametrize("expr", ["9 * * 1", "* 23 * *", "10 23 11 *", "* * 11 1", "10 * * *", "* 30 * *"])
def test_a_due_cron_with_at_most_one_day_field_is_among_the_due_keys(expr):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for at in cron.next_runs(expr, start, count=5):
        assert cron.normalise(expr) in schedule_index.cron_keys(at)


def _indexed_keys(expr):
    rule = SimpleNamespace(id="rule-1", account_id="acc-1", enabled=True, deleted_at=None, scheduled_since=None,
                           triggers=[{"type": "schedule", "mode": "custom", "cron": expr}])
    entries = schedule_index.entries_for(rule)
    return {e.slot.rsplit("#", 1)[0] for e in entries}


def test_index_finds_a_rule_due_only_through_its_day_of_week():
    # '0 13 * 5' is due on Friday 2 January 2026 (next_runs says so: dom OR dow), so the
    # tick reading the due keys of that hour must find the rule in the index.
    friday_2nd = datetime(2026, 1, 2, 0, tzinfo=UTC)
    assert friday_2nd in cron.next_runs("0 13 * 5", datetime(2026, 1, 1, tzinfo=UTC))
    assert _indexed_keys("0 13 * 5") & set(schedule_index.cron_keys(friday_2nd))


def test_index_finds_a_rule_due_only_through_its_day_of_month():
    tuesday_13th = datetime(2026, 1, 13, 0, tzinfo=UTC)
    assert tuesday_13th in cron.next_runs("0 13 * 5", datetime(2026, 1, 1, tzinfo=UTC))
    assert _indexed_keys("0 13 * 5") & set(schedule_index.cron_keys(tuesday_13th))
