// How triggers, scopes and environments read in a sentence, in the UI language.
import { parseCron } from "./cron.js";
import { lang, t } from "./i18n.js";

// Intl formatters are costly to make: one per language and kind (a list of 1,000 rules names many weekdays).
const names = new Map();
function named(kind, date) {
  const id = `${lang()}|${kind}`;
  if (!names.has(id)) names.set(id, new Intl.DateTimeFormat(lang(), { [kind]: "long", timeZone: "UTC" }));
  return names.get(id).format(date);
}

export const weekdayName = (day) => named("weekday", new Date(Date.UTC(2023, 0, 1 + day))); // 2023-01-01 was a Sunday
const monthName = (month) => named("month", new Date(Date.UTC(2023, month - 1, 1)));

export const hourText = (hour) => `${String(hour).padStart(2, "0")}:00`;

/** A UTC cron in words ("Daily at 09:00", "Every Monday at 09:00", "Every hour"). */
export function cronText(expr) {
  const c = parseCron(expr);
  if (c.error) return t("cadence.invalid");
  const time = c.hour === null ? null : hourText(c.hour);
  let day = null;
  if (c.dom !== null && c.dow !== null) day = t("cadence.domOrDow", { dom: c.dom, weekday: weekdayName(c.dow) });
  else if (c.dow !== null) day = t("cadence.weekday", { weekday: weekdayName(c.dow) });
  else if (c.dom !== null) day = t("cadence.dom", { dom: c.dom });
  const month = c.month === null ? null : t("cadence.month", { month: monthName(c.month) });
  if (time === null) {
    if (!day && !month) return t("cadence.hourly");
    return t("cadence.hourlyOn", { when: [day, month].filter(Boolean).join(t("cadence.join")) });
  }
  if (!day && !month) return t("cadence.daily", { time });
  return t("cadence.on", { when: [day, month].filter(Boolean).join(t("cadence.join")), time });
}

/** A schedule trigger's cadence and the zone it is labelled with (none for hourly). */
export function scheduleText(trigger) {
  if (trigger.mode === "hourly") return { text: t("cadence.hourly"), zone: null };
  if (trigger.mode === "daily" && Number.isInteger(trigger.hour)) {
    return { text: t("cadence.daily", { time: hourText(trigger.hour) }), zone: trigger.timezone || "UTC" };
  }
  if (trigger.mode === "weekly" && Number.isInteger(trigger.hour) && Number.isInteger(trigger.weekday)) {
    return { text: t("cadence.on", { when: t("cadence.weekday", { weekday: weekdayName(trigger.weekday) }), time: hourText(trigger.hour) }),
      zone: trigger.timezone || "UTC" };
  }
  return { text: cronText(trigger.cron), zone: "UTC" };
}

export function seconds(n) {
  if (!n) return "0 s";
  if (n % 86400 === 0) return `${n / 86400} d`;
  if (n % 3600 === 0) return `${n / 3600} h`;
  if (n % 60 === 0) return `${n / 60} min`;
  return `${n} s`;
}

function filters(match) {
  const parts = Object.entries(match || {}).map(([k, v]) => `${k} = ${Array.isArray(v) ? v.join(" | ") : v}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** One line for any trigger, as the list's Triggers column shows it. */
export function triggerText(trigger) {
  if (trigger.type === "api") return t("trigger.api");
  if (trigger.type === "schedule") {
    const { text, zone } = scheduleText(trigger);
    if (!zone) return text;
    return zone === "UTC" ? `${text} UTC` : `${text} (${zone})`;
  }
  if (trigger.type === "event") {
    const expect = (trigger.expect || []).join(", ");
    if (trigger.posture === "proactive") {
      return t("trigger.proactive", { threshold: trigger.threshold ?? 1, expect, within: seconds(trigger.within),
        after: (trigger.after || []).join(", ") }) + filters(trigger.match);
    }
    if ((trigger.threshold ?? 1) > 1) {
      return t("trigger.reactiveCount", { threshold: trigger.threshold, expect, within: seconds(trigger.within) }) + filters(trigger.match);
    }
    return t("trigger.reactive", { expect }) + filters(trigger.match);
  }
  return trigger.type;
}

export function scopeText(teamId, teams) {
  if (!teamId) return t("scope.personal");
  const team = teams.find((x) => x.id === teamId);
  return team ? team.name : t("scope.teamN", { id: teamId });
}

export function environmentText(env, runners) {
  if (!env || env.type === "auto") return t("env.auto");
  if (env.type === "cloud_sandbox") return t("env.cloud_sandbox");
  if (env.type === "runner") {
    const name = env.runner_name || runners.find((r) => r.id === env.runner_id)?.name;
    // a run still waiting for a runner names only its pool
    return t("env.runnerNamed", { name: name || env.runner_id || (env.pool ? `pool ${env.pool}` : "?") });
  }
  return env.type;
}
