"""Unit tests of the UTC cron shown for a local-time rule and of schedule trigger parsing."""
from datetime import UTC, datetime

import pytest

from chalicelib.errors import Invalid
from chalicelib.rules import local_time, schedule, timezones

WINTER = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # a Wednesday, northern-hemisphere standard time
SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)  # a Wednesday, northern-hemisphere daylight time
WHERE = "triggers[0]"


def _parse(now=WINTER, **item):
    return schedule.parse(item, WHERE, now)


def _refused(now=WINTER, **item) -> str:
    with pytest.raises(Invalid) as exc:
        schedule.parse(item, WHERE, now)
    return str(exc.value)


# --- timezones.zone --------------------------------------------------------

def test_zone_known_name():
    assert timezones.zone("Europe/Berlin").key == "Europe/Berlin"
    assert timezones.zone("UTC").key == "UTC"


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "Europe/Berlinn", "../../etc/passwd", "/etc/localtime",
                                  "Europe/Berlin\x00"])
def test_zone_unknown_name_names_the_field(name):
    with pytest.raises(Invalid) as exc:
        timezones.zone(name, "trigger.timezone")
    assert str(exc.value).startswith("trigger.timezone")
    assert "unknown time zone" in str(exc.value)


@pytest.mark.parametrize("name", [None, "", 5, "A" * 65])
def test_zone_not_a_name(name):
    with pytest.raises(Invalid) as exc:
        timezones.zone(name)
    assert str(exc.value).startswith("timezone must be an IANA time zone name")


# --- local_time.utc_cron: the UTC hour (and weekday) the next run starts in ---

def _to_utc(hour, weekday, tz, now):
    utc_hour, _, _, utc_weekday = local_time.utc_cron(hour, weekday, timezones.zone(tz), now).split()
    return int(utc_hour), (int(utc_weekday) if weekday is not None else None)


def test_weekday_shifts_back_across_midnight():
    # Monday 02:00 in Shanghai (+08:00) is Sunday 18:00 UTC.
    assert _to_utc(2, 1, "Asia/Shanghai", WINTER) == (18, 0)


def test_sunday_shifts_back_to_saturday():
    assert _to_utc(2, 0, "Asia/Shanghai", WINTER) == (18, 6)


def test_weekday_shifts_forward_across_midnight():
    # Sunday 20:00 in Los Angeles (PST, -08:00) is Monday 04:00 UTC.
    assert _to_utc(20, 0, "America/Los_Angeles", WINTER) == (4, 1)
    # Saturday 20:00 wraps forward to Sunday.
    assert _to_utc(20, 6, "America/Los_Angeles", WINTER) == (4, 0)


def test_daily_has_no_weekday():
    assert _to_utc(9, None, "Europe/Berlin", WINTER) == (8, None)


def test_utc_is_unchanged():
    assert _to_utc(9, 3, "UTC", WINTER) == (9, 3)


@pytest.mark.parametrize(("tz", "local_hour", "utc_hour"), [
    ("Asia/Kolkata", 9, 3),          # +05:30: starts 03:30 UTC
    ("Asia/Kathmandu", 9, 3),        # +05:45: starts 03:15 UTC
    ("America/St_Johns", 9, 12),     # -03:30 in winter: starts 12:30 UTC
    ("Australia/Adelaide", 9, 22),   # +10:30 in January: starts 22:30 UTC the day before
])
def test_fractional_offset_shows_the_utc_hour_the_run_starts_in(tz, local_hour, utc_hour):
    assert _to_utc(local_hour, None, tz, WINTER) == (utc_hour, None)
    run = local_time.next_runs(local_hour, None, timezones.zone(tz), WINTER, 1)[0]
    assert run.astimezone(timezones.zone(tz)).hour == local_hour and run.minute in (15, 30, 45)


def test_fractional_offset_can_cross_midnight():
    # Monday 05:00 in Kolkata is Sunday 23:30 UTC.
    assert _to_utc(5, 1, "Asia/Kolkata", WINTER) == (23, 0)


def test_offset_follows_daylight_saving_time_of_now():
    assert _to_utc(9, None, "America/New_York", WINTER) == (14, None)
    assert _to_utc(9, None, "America/New_York", SUMMER) == (13, None)
    # Southern hemisphere: the other way round.
    assert _to_utc(9, None, "Australia/Sydney", WINTER) == (22, None)  # AEDT +11
    assert _to_utc(9, None, "Australia/Sydney", SUMMER) == (23, None)  # AEST +10


def test_weekly_uses_the_offset_of_the_next_occurrence():
    # Wednesday 4 March 2026 is still EST, but the next Monday (9 March) is after the
    # switch to EDT on Sunday 8 March: Monday 09:00 EDT is 13:00 UTC.
    wednesday_before_dst = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert _to_utc(9, 1, "America/New_York", wednesday_before_dst) == (13, 1)


def test_daily_uses_the_offset_of_the_next_occurrence_after_todays_time_has_passed():
    # Saturday 7 March 2026, 23:00 EST: today's 09:00 is past, the next 09:00 is on
    # Sunday 8 March, already EDT (-04:00), so 13:00 UTC.
    saturday_night = datetime(2026, 3, 8, 4, 0, tzinfo=UTC)
    assert _to_utc(9, None, "America/New_York", saturday_night) == (13, None)


def test_weekly_uses_the_offset_of_next_weeks_occurrence_when_todays_has_passed():
    # Sunday 1 March 2026, 23:00 EST: this Sunday's 09:00 is past; the next one is
    # Sunday 8 March 09:00 EDT = 13:00 UTC.
    sunday_night = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    assert _to_utc(9, 0, "America/New_York", sunday_night) == (13, 0)


# --- schedule.parse --------------------------------------------------------

def test_weekly_shanghai_monday_2am():
    assert _parse(mode="weekly", hour=2, weekday=1, timezone="Asia/Shanghai") == {
        "type": "schedule", "mode": "weekly", "hour": 2, "weekday": 1,
        "timezone": "Asia/Shanghai", "cron": "18 * * 0"}


def test_weekly_los_angeles_sunday_8pm_in_winter():
    stored = _parse(mode="weekly", hour=20, weekday=0, timezone="America/Los_Angeles")
    assert stored["cron"] == "4 * * 1"
    assert (stored["hour"], stored["weekday"]) == (20, 0)  # the local choice is kept as given


def test_daily_kolkata_half_hour_offset():
    assert _parse(mode="daily", hour=9, timezone="Asia/Kolkata") == {
        "type": "schedule", "mode": "daily", "hour": 9, "timezone": "Asia/Kolkata", "cron": "3 * * *"}


def test_daily_new_york_depends_on_dst_at_now():
    assert _parse(WINTER, mode="daily", hour=9, timezone="America/New_York")["cron"] == "14 * * *"
    assert _parse(SUMMER, mode="daily", hour=9, timezone="America/New_York")["cron"] == "13 * * *"


def test_daily_without_timezone_is_utc():
    assert _parse(mode="daily", hour=9) == {
        "type": "schedule", "mode": "daily", "hour": 9, "timezone": "UTC", "cron": "9 * * *"}


def test_daily_ignores_a_weekday():
    stored = _parse(mode="daily", hour=9, weekday=3, timezone="UTC")
    assert stored["cron"] == "9 * * *"
    assert "weekday" not in stored


def test_hourly_is_every_hour():
    assert _parse(mode="hourly") == {"type": "schedule", "mode": "hourly", "cron": "* * * *"}
    assert _parse(mode="hourly", hour=5, timezone="Asia/Kolkata")["cron"] == "* * * *"


def test_custom_passes_the_cron_through_normalised():
    assert _parse(mode="custom", cron="09 * * 7") == {
        "type": "schedule", "mode": "custom", "cron": "9 * * 0", "timezone": "UTC"}


def test_custom_cron_with_a_timezone_is_refused_not_dropped():
    message = _refused(mode="custom", cron="9 * * 1", timezone="Asia/Shanghai")
    assert message.startswith(f"{WHERE}.timezone: a custom cron is always read in UTC")
    assert "'Asia/Shanghai'" in message and "daily or weekly" in message


@pytest.mark.parametrize("tz", ["UTC", "Etc/UTC"])
def test_custom_cron_with_utc_as_its_timezone_is_kept(tz):
    # what GET returns can be sent back as it is
    assert _parse(mode="custom", cron="9 * * 1", timezone=tz) == {
        "type": "schedule", "mode": "custom", "cron": "9 * * 1", "timezone": "UTC"}


def test_a_cron_without_mode_is_custom():
    assert _parse(cron="9 * * 1") == {"type": "schedule", "mode": "custom", "cron": "9 * * 1", "timezone": "UTC"}


def test_custom_bad_cron_names_the_field():
    message = _refused(mode="custom", cron="24 * * *")
    assert message.startswith(f"{WHERE}.cron: hour")
    assert f"{WHERE}.cron" in _refused(mode="custom")
    assert "exactly 4 segments" in _refused(mode="custom", cron="0 9 * * 1")


@pytest.mark.parametrize("mode", [None, "", "monthly", "HOURLY", 1])
def test_unknown_or_missing_mode_is_refused(mode):
    message = _refused(mode=mode, hour=9)
    assert message.startswith(f"{WHERE}.mode must be one of hourly, daily, weekly, custom")


def test_unknown_time_zone_names_the_field():
    message = _refused(mode="daily", hour=9, timezone="Asia/Atlantis")
    assert message.startswith(f"{WHERE}.timezone")
    assert "Asia/Atlantis" in message
    assert _refused(mode="weekly", hour=9, weekday=1, timezone="").startswith(f"{WHERE}.timezone")
    assert _refused(mode="daily", hour=9, timezone=None).startswith(f"{WHERE}.timezone")


@pytest.mark.parametrize("hour", [None, -1, 24, "9", 9.5, True, False])
def test_missing_or_invalid_hour_names_the_field(hour):
    item = {"mode": "daily", "timezone": "UTC"}
    if hour is not None:
        item["hour"] = hour
    message = _refused(**item)
    assert message.startswith(f"{WHERE}.hour must be an integer 0-23")
    assert _refused(**{**item, "mode": "weekly", "weekday": 1}).startswith(f"{WHERE}.hour")


@pytest.mark.parametrize("weekday", [None, -1, 8, "1", 1.5, True])
def test_missing_or_invalid_weekday_names_the_field(weekday):
    item = {"mode": "weekly", "hour": 9, "timezone": "UTC"}
    if weekday is not None:
        item["weekday"] = weekday
    assert _refused(**item).startswith(f"{WHERE}.weekday must be an integer 0-7")  # 7 is Sunday, as in cron


def test_boundary_hours_and_weekdays_are_accepted():
    # JSON has one number type: 9.0 is the integer 9 (JSON Schema agrees), 9.5 is refused above.
    assert _parse(mode="weekly", hour=9.0, weekday=1.0)["cron"] == _parse(mode="weekly", hour=9, weekday=1)["cron"]
    assert _parse(mode="daily", hour=0)["cron"] == "0 * * *"
    assert _parse(mode="daily", hour=23)["cron"] == "23 * * *"
    assert _parse(mode="weekly", hour=0, weekday=0)["cron"] == "0 * * 0"
    assert _parse(mode="weekly", hour=23, weekday=6)["cron"] == "23 * * 6"


def test_zones_come_from_the_pinned_tzdata_not_the_systems(tmp_path):
    """A system database that says Europe/Berlin is Tokyo time is ignored once
    the service's code is imported: the pinned package decides, in every process."""
    import os
    import shutil
    import subprocess
    import sys
    from importlib import resources

    fake = tmp_path / "zoneinfo" / "Europe"
    fake.mkdir(parents=True)
    tokyo = resources.files("tzdata.zoneinfo").joinpath("Asia/Tokyo")
    with resources.as_file(tokyo) as source:
        shutil.copy(source, fake / "Berlin")
    script = ("from datetime import datetime\nfrom zoneinfo import ZoneInfo\n"
              "before = ZoneInfo('Europe/Berlin').utcoffset(datetime(2026, 1, 15))\n"
              "import chalicelib.clock\n"
              "after = ZoneInfo('Europe/Berlin').utcoffset(datetime(2026, 1, 15))\n"
              "print(before.total_seconds() / 3600, after.total_seconds() / 3600, chalicelib.clock.TZDATA_VERSION)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONTZPATH": str(tmp_path / "zoneinfo")})
    before, after, version = out.stdout.split()
    assert (float(before), float(after)) == (9.0, 1.0), out.stderr  # the fake system's, then the pinned one
    import tzdata
    assert version == tzdata.IANA_VERSION


def test_the_status_says_which_tzdata_the_schedules_use(api, owner):
    import tzdata
    assert api.ok("GET", "/status", owner)["tzdata"] == tzdata.IANA_VERSION
