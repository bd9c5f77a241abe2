// Schedules as the service computes them (chalicelib/rules/cron.py and timezones.py), in the
// browser, so the form shows the next runs for its current values before anything is saved.
const SEGMENTS = [["hour", 0, 23], ["day-of-month", 1, 31], ["month", 1, 12], ["day-of-week", 0, 7]];
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const HOUR = 3600e3;
const DAY = 24 * HOUR;

/** {hour, dom, month, dow} (null for `*`), or {error} in the words of the service's own check. */
export function parseCron(expr) {
  const parts = String(expr ?? "").trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 4) return { error: `needs 4 segments (hour day-of-month month day-of-week); got ${parts.length}` };
  const out = [];
  for (let i = 0; i < 4; i += 1) {
    const [name, lo, hi] = SEGMENTS[i];
    const raw = parts[i];
    if (raw === "*") { out.push(null); continue; }
    if (!/^[0-9]+$/.test(raw)) return { error: `${name} segment '${raw}': use * or one number ${lo}-${hi}` };
    let value = Number(raw);
    if (value < lo || value > hi) return { error: `${name} segment '${raw}' is out of range ${lo}-${hi}` };
    if (i === 3 && value === 7) value = 0;
    out.push(value);
  }
  const [hour, dom, month, dow] = out;
  if (dom !== null && month !== null && dow === null && dom > MAX_DAYS[month - 1]) {
    return { error: `day-of-month ${dom} never occurs in month ${month}` };
  }
  return { hour, dom, month, dow };
}

function dayMatches(cron, date) {
  if (cron.month !== null && date.getUTCMonth() + 1 !== cron.month) return false;
  const domOk = cron.dom === null || date.getUTCDate() === cron.dom;
  const dowOk = cron.dow === null || date.getUTCDay() === cron.dow;
  if (cron.dom !== null && cron.dow !== null) return domOk || dowOk; // standard cron: either day field
  return domOk && dowOk;
}

/** The next `count` UTC times (Date) the cron is due, strictly after `now`. */
export function nextRuns(expr, now = new Date(), count = 5) {
  const cron = typeof expr === "string" ? parseCron(expr) : expr;
  if (!cron || cron.error) return [];
  const out = [];
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let day = 0; day < 366 * 12 && out.length < count; day += 1) {
    const midnight = new Date(start + day * DAY);
    if (!dayMatches(cron, midnight)) continue;
    const hours = cron.hour === null ? [...Array(24).keys()] : [cron.hour];
    for (const h of hours) {
      const at = new Date(midnight.getTime() + h * HOUR);
      if (at > now && out.length < count) out.push(at);
    }
  }
  return out;
}

const formatters = new Map();
function wallClock(ms, tz) {
  let fmt = formatters.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    });
    formatters.set(tz, fmt);
  }
  const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { year: +p.year, month: +p.month, day: +p.day, hour: +p.hour % 24, minute: +p.minute, second: +p.second };
}

/** The zone's UTC offset (ms) at an instant. */
export function offsetAt(ms, tz) {
  const w = wallClock(ms, tz);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant of a wall-clock time in a zone, resolved as Python's zoneinfo does with fold=0:
 * an ambiguous time takes the earlier offset, a time in a gap the offset before the gap. */
export function zonedToUtc(year, month, day, hour, tz) {
  const wall = Date.UTC(year, month - 1, day, hour);
  const before = offsetAt(wall - DAY, tz);
  const after = offsetAt(wall + DAY, tz);
  if (offsetAt(wall - before, tz) === before) return wall - before;
  if (offsetAt(wall - after, tz) === after) return wall - after;
  return wall - before;
}

/** Local hour (and weekday, 0 = Sunday) in `tz` to the UTC {hour, weekday}, with the offset in force at
 * the next occurrence after `now`; a fractional offset rounds up to the next UTC hour (never early). */
export function toUtc(hour, weekday, tz, now = new Date()) {
  const local = wallClock(now.getTime(), tz);
  let date = new Date(Date.UTC(local.year, local.month - 1, local.day));
  if (weekday !== null && weekday !== undefined) {
    date = new Date(date.getTime() + (((weekday - date.getUTCDay()) % 7) + 7) % 7 * DAY);
  }
  const at = (d) => zonedToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), hour, tz);
  let utc = at(date);
  const localNow = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  const localThen = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), hour);
  if (localThen <= localNow) {
    date = new Date(date.getTime() + (weekday !== null && weekday !== undefined ? 7 : 1) * DAY);
    utc = at(date);
  }
  if (utc % HOUR !== 0) utc = Math.floor(utc / HOUR) * HOUR + HOUR;
  const result = new Date(utc);
  return { hour: result.getUTCHours(), weekday: weekday === null || weekday === undefined ? null : result.getUTCDay() };
}

/** The UTC cron a schedule trigger (as the form holds it) is stored as, or {error}. */
export function cronOf(trigger, now = new Date()) {
  if (trigger.mode === "hourly") return "* * * *";
  if (trigger.mode === "custom") {
    const parsed = parseCron(trigger.cron);
    return parsed.error ? parsed : [parsed.hour, parsed.dom, parsed.month, parsed.dow].map((v) => v ?? "*").join(" ");
  }
  if (!Number.isInteger(trigger.hour)) return { error: "pick an hour" };
  const weekly = trigger.mode === "weekly";
  if (weekly && !Number.isInteger(trigger.weekday)) return { error: "pick a weekday" };
  try {
    const utc = toUtc(trigger.hour, weekly ? trigger.weekday : null, trigger.timezone || "UTC", now);
    return weekly ? `${utc.hour} * * ${utc.weekday}` : `${utc.hour} * * *`;
  } catch {
    return { error: `unknown time zone ${trigger.timezone}` };
  }
}

/** The browser's IANA time zone. */
export const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function timeZones() {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}
