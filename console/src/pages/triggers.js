// The triggers of the form: schedule (hourly / daily / weekly / custom, with the next five runs in
// local time as the values change), call via API, and event triggers.
import { useMemo, useState } from "preact/hooks";
import { api } from "../api.js";
import { Confirm, CopyButton, html } from "../components.js";
import { useApp } from "../context.js";
import { cronOf, localZone, nextRuns, timeZones } from "../cron.js";
import { formatDate, t } from "../i18n.js";
import { hourText, scheduleText, seconds, weekdayName } from "../summary.js";

const WEEK = [1, 2, 3, 4, 5, 6, 0];
const splitList = (text) => String(text || "").split(",").map((x) => x.trim()).filter(Boolean);

/** A trigger as the API returns it, as the form edits it. */
export function triggerToForm(trig) {
  if (trig.type === "event") {
    return { type: "event", posture: trig.posture || "reactive", expect: (trig.expect || []).join(", "),
      after: (trig.after || []).join(", "), for_each: (trig.for_each || []).join(", "),
      match: Object.entries(trig.match || {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]),
      threshold: trig.threshold ?? 1, within: trig.within ?? 0 };
  }
  return { ...trig };
}

/** The form's trigger as the API takes it. */
export function triggerToApi(trig) {
  if (trig.type === "api") return { type: "api" };
  if (trig.type === "schedule") {
    if (trig.mode === "hourly") return { type: "schedule", mode: "hourly" };
    if (trig.mode === "custom") return { type: "schedule", mode: "custom", cron: trig.cron ?? "" };
    const out = { type: "schedule", mode: trig.mode, hour: trig.hour, timezone: trig.timezone };
    if (trig.mode === "weekly") out.weekday = trig.weekday;
    return out;
  }
  const match = {};
  for (const [k, v] of trig.match) {
    if (!k.trim()) continue;
    const values = splitList(v);
    match[k.trim()] = values.length === 1 ? values[0] : values;
  }
  const out = { type: "event", posture: trig.posture, expect: splitList(trig.expect), match,
    threshold: Number(trig.threshold), within: Number(trig.within), for_each: splitList(trig.for_each) };
  if (trig.posture === "proactive") out.after = splitList(trig.after);
  return out;
}

export function newTrigger(type) {
  if (type === "schedule") return { type, mode: "weekly", hour: 9, weekday: 1, timezone: localZone(), cron: "9 * * *" };
  if (type === "event") return { type, posture: "reactive", expect: "", after: "", for_each: "", match: [], threshold: 1, within: 0 };
  return { type };
}

export const TRIGGER_FIELDS = {
  schedule: ["mode", "hour", "weekday", "timezone", "cron"],
  api: [],
  event: ["posture", "expect", "after", "match", "threshold", "within", "for_each"],
};

function NextRuns({ trigger }) {
  const cron = cronOf(trigger);
  const runs = typeof cron === "string" ? nextRuns(cron, new Date(), 5) : [];
  return html`<div class="next-runs" data-testid="next-runs">
    <span class="label">${t("schedule.nextRuns", { zone: localZone() })}</span>
    ${runs.length ? html`<ol>${runs.map((at) => html`<li><time datetime=${at.toISOString()}>${formatDate(at.toISOString(), true)}</time></li>`)}</ol>`
      : html`<p class="muted">${typeof cron === "string" ? t("schedule.never") : t("schedule.invalid")}</p>`}
  </div>`;
}

function ScheduleRow({ trigger, set, where, err }) {
  const zones = useMemo(timeZones, []);
  const summary = scheduleText(trigger);
  const hourSelect = html`<label>${t("schedule.hour")}<select value=${trigger.hour ?? ""} name=${`${where}.hour`}
      onChange=${(e) => set({ hour: Number(e.target.value) })}>
      ${[...Array(24).keys()].map((h) => html`<option value=${h}>${hourText(h)}</option>`)}</select>${err(`${where}.hour`)}</label>`;
  const zoneSelect = html`<label>${t("schedule.timezone")}<select value=${trigger.timezone || "UTC"} name=${`${where}.timezone`}
      onChange=${(e) => set({ timezone: e.target.value })}>
      ${(zones.includes(trigger.timezone) || !trigger.timezone ? zones : [trigger.timezone, ...zones]).map((z) => html`<option value=${z}>${z}</option>`)}
    </select>${err(`${where}.timezone`)}</label>`;
  return html`<div class="trigger-body">
    <div class="row-fields">
      <label>${t("schedule.mode")}<select value=${trigger.mode} name=${`${where}.mode`} onChange=${(e) => {
        const mode = e.target.value;
        const patch = { mode };
        if ((mode === "daily" || mode === "weekly") && !Number.isInteger(trigger.hour)) Object.assign(patch, { hour: 9, timezone: trigger.timezone && trigger.timezone !== "UTC" ? trigger.timezone : localZone() });
        if (mode === "weekly" && !Number.isInteger(trigger.weekday)) patch.weekday = 1;
        if (mode === "custom" && !trigger.cron) patch.cron = "9 * * *";
        set(patch);
      }}>${["hourly", "daily", "weekly", "custom"].map((m) => html`<option value=${m}>${t(`schedule.${m}`)}</option>`)}</select>
        ${err(`${where}.mode`)}</label>
      ${trigger.mode === "weekly" ? html`<label>${t("schedule.weekday")}<select value=${trigger.weekday ?? ""} name=${`${where}.weekday`}
        onChange=${(e) => set({ weekday: Number(e.target.value) })}>${WEEK.map((d) => html`<option value=${d}>${weekdayName(d)}</option>`)}</select>
        ${err(`${where}.weekday`)}</label>` : ""}
      ${trigger.mode === "daily" || trigger.mode === "weekly" ? hourSelect : ""}
      ${trigger.mode === "daily" || trigger.mode === "weekly" ? zoneSelect : ""}
      ${trigger.mode === "custom" ? html`<label class="grow">${t("schedule.cron")}<input class="mono" value=${trigger.cron || ""} name=${`${where}.cron`}
        placeholder="9 * * 1" spellcheck="false" onInput=${(e) => set({ cron: e.target.value })} />
        <span class="hint">${t("schedule.cronHint")}</span>${err(`${where}.cron`)}</label>` : ""}
    </div>
    <p class="cadence" data-testid="cadence">${summary.text}${summary.zone ? html` <span class="zone-label" data-testid="zone-label">${summary.zone === "UTC" ? "UTC" : `(${summary.zone})`}</span>` : ""}</p>
    <${NextRuns} trigger=${trigger} />
  </div>`;
}

function ApiRow({ trigger, automationId, canRotate }) {
  const { showTrigger } = useApp();
  const [confirming, setConfirming] = useState(false);
  if (!trigger.url) return html`<div class="trigger-body"><p class="muted">${t("api.onSave")}</p></div>`;
  const rotate = async () => {
    const answer = await api("POST", `/automations/${encodeURIComponent(automationId)}/api-trigger/rotate`);
    setConfirming(false);
    showTrigger({ automationId, ...answer });
  };
  return html`<div class="trigger-body">
    <div class="kv"><span class="label">${t("api.url")}</span><code class="mono" data-testid="trigger-url">${trigger.url}</code>
      <${CopyButton} text=${trigger.url} label=${t("api.url")} /></div>
    <div class="kv"><span class="label">${t("api.token")}</span><code class="mono">…${trigger.token_hint}</code>
      <button type="button" class="btn small" disabled=${!canRotate} onClick=${() => setConfirming(true)}>${t("api.regenerate")}</button></div>
    ${confirming ? html`<${Confirm} title=${t("api.regenerateTitle")} message=${t("api.regenerateConfirm")}
      confirmLabel=${t("api.regenerate")} danger onConfirm=${rotate} onCancel=${() => setConfirming(false)} />` : ""}
  </div>`;
}

function EventRow({ trigger, set, where, err }) {
  const setMatch = (rows) => set({ match: rows });
  return html`<div class="trigger-body">
    <div class="row-fields">
      <label>${t("event.posture")}<select value=${trigger.posture} name=${`${where}.posture`} onChange=${(e) => set({ posture: e.target.value })}>
        <option value="reactive">${t("event.reactive")}</option><option value="proactive">${t("event.proactive")}</option></select>
        ${err(`${where}.posture`)}</label>
      <label class="grow">${t("event.expect")}<input value=${trigger.expect} name=${`${where}.expect`} placeholder="incident.*"
        onInput=${(e) => set({ expect: e.target.value })} /><span class="hint">${t("event.patternsHint")}</span>${err(`${where}.expect`)}</label>
      ${trigger.posture === "proactive" ? html`<label class="grow">${t("event.after")}<input value=${trigger.after} name=${`${where}.after`}
        placeholder="deploy.started" onInput=${(e) => set({ after: e.target.value })} />${err(`${where}.after`)}</label>` : ""}
    </div>
    <div class="row-fields">
      <label>${t("event.threshold")}<input type="number" min="1" value=${trigger.threshold} name=${`${where}.threshold`}
        onInput=${(e) => set({ threshold: e.target.value })} />${err(`${where}.threshold`)}</label>
      <label>${t("event.within")}<input type="number" min="0" value=${trigger.within} name=${`${where}.within`}
        onInput=${(e) => set({ within: e.target.value })} /><span class="hint">${seconds(Number(trigger.within) || 0)}</span>${err(`${where}.within`)}</label>
      <label class="grow">${t("event.forEach")}<input value=${trigger.for_each} name=${`${where}.for_each`} placeholder="resource.id"
        onInput=${(e) => set({ for_each: e.target.value })} />${err(`${where}.for_each`)}</label>
    </div>
    <${Pairs} label=${t("event.match")} rows=${trigger.match} onChange=${setMatch} keyHint="resource.severity" valueHint="critical"
      name=${`${where}.match`} />
    ${err(`${where}.match`)}
  </div>`;
}

/** Editable key/value rows (event filters, webhook headers). */
export function Pairs({ label, rows, onChange, keyHint, valueHint, name }) {
  const update = (i, j, value) => onChange(rows.map((row, k) => (k === i ? (j === 0 ? [value, row[1]] : [row[0], value]) : row)));
  return html`<fieldset class="pairs" data-name=${name}><legend>${label}</legend>
    ${rows.map((row, i) => html`<div class="pair">
      <input value=${row[0]} placeholder=${keyHint} aria-label=${`${label} ${i + 1}`} onInput=${(e) => update(i, 0, e.target.value)} />
      <input value=${row[1]} placeholder=${valueHint} aria-label=${`${label} ${i + 1} ${t("pairs.value")}`} onInput=${(e) => update(i, 1, e.target.value)} />
      <button type="button" class="icon-btn" aria-label=${t("remove")} onClick=${() => onChange(rows.filter((_, k) => k !== i))}>×</button></div>`)}
    <button type="button" class="btn small" onClick=${() => onChange([...rows, ["", ""]])}>${t("pairs.add")}</button>
  </fieldset>`;
}

export function TriggerRows({ triggers, setTriggers, err, automationId, canRotate }) {
  const [menu, setMenu] = useState(false);
  const present = new Set(triggers.map((x) => x.type));
  const set = (i) => (patch) => setTriggers(triggers.map((x, k) => (k === i ? { ...x, ...patch } : x)));
  const add = (type) => { setMenu(false); setTriggers([...triggers, newTrigger(type)]); };
  return html`<section class="form-section" data-section="triggers">
    <div class="section-head"><h2>${t("form.triggers")}</h2>
      <div class="menu-wrap"><button type="button" class="btn" onClick=${() => setMenu(!menu)} aria-expanded=${menu}>${t("trigger.add")}</button>
        ${menu ? html`<div class="menu" role="menu">${["schedule", "api", "event"].map((type) => html`<button type="button" role="menuitem"
          disabled=${present.has(type)} onClick=${() => add(type)}>${t(`trigger.kind.${type}`)}</button>`)}</div>` : ""}</div></div>
    <p class="hint">${t("trigger.hint")}</p>
    ${err("triggers")}
    ${triggers.length === 0 ? html`<p class="muted empty-line">${t("trigger.none")}</p>` : ""}
    ${triggers.map((trigger, i) => html`<div class="trigger-row card" data-trigger=${trigger.type}>
      <div class="row-head"><strong>${t(`trigger.kind.${trigger.type}`)}</strong>
        <button type="button" class="icon-btn" aria-label=${t("trigger.remove", { kind: t(`trigger.kind.${trigger.type}`) })}
          onClick=${() => setTriggers(triggers.filter((_, k) => k !== i))}>×</button></div>
      ${err(`triggers[${i}]`)}
      ${trigger.type === "schedule" ? html`<${ScheduleRow} trigger=${trigger} set=${set(i)} where=${`triggers[${i}]`} err=${err} />` : ""}
      ${trigger.type === "api" ? html`<${ApiRow} trigger=${trigger} automationId=${automationId} canRotate=${canRotate} />` : ""}
      ${trigger.type === "event" ? html`<${EventRow} trigger=${trigger} set=${set(i)} where=${`triggers[${i}]`} err=${err} />` : ""}
    </div>`)}
  </section>`;
}
