// The account's business hours and time zone (GET/PUT /account/settings): the on-call analyses count
// a page outside them as off-hours. Owners and admins change them; everyone sees them.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, FieldError, html, Loading, resolveField } from "../components.js";
import { timeZones } from "../cron.js";
import { t } from "../i18n.js";
import { hourText, weekdayName } from "../summary.js";

const WEEK = [1, 2, 3, 4, 5, 6, 0]; // Monday first; the API numbers days 0 = Sunday … 6 = Saturday
const FIELDS = new Set(["business_hours", "business_hours.days", "business_hours.start", "business_hours.end", "timezone"]);

export function BusinessHours({ admin }) {
  const zones = useMemo(timeZones, []);
  const [form, setForm] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const load = () => {
    setLoadError(null);
    api("GET", "/account/settings").then(setForm).catch(setLoadError);
  };
  useEffect(load, []);
  const hours = form?.business_hours;
  const setHours = (patch) => { setSaved(false); setForm({ ...form, business_hours: { ...hours, ...patch } }); };
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      setForm(await api("PUT", "/account/settings", { body: form }));
      setSaved(true);
    } catch (err) { setError(err); }
    setBusy(false);
  };
  const at = error?.field ? resolveField(error.field, FIELDS) : null;
  return html`<form class="card hours-form" onSubmit=${save} data-testid="business-hours">
    <h2>${t("hours.title")}</h2>
    <p class="hint">${t("hours.hint")}</p>
    <${ErrorBox} error=${loadError} retry=${load} />
    ${!form && !loadError ? html`<${Loading} />` : ""}
    ${form ? html`<fieldset class="plain" disabled=${!admin || busy}>
      <fieldset class="days"><legend>${t("hours.days")}</legend>
        ${WEEK.map((d) => html`<label class="check"><input type="checkbox" name=${`day-${d}`} checked=${hours.days.includes(d)}
          onChange=${(e) => setHours({ days: e.target.checked ? [...hours.days, d].sort() : hours.days.filter((x) => x !== d) })} />${weekdayName(d)}</label>`)}
        <${FieldError} error=${error} at=${at} path="business_hours.days" />
      </fieldset>
      <div class="row-fields">
        <label>${t("hours.start")}<select name="start" value=${hours.start} onChange=${(e) => setHours({ start: Number(e.target.value) })}>
          ${[...Array(24).keys()].map((h) => html`<option value=${h}>${hourText(h)}</option>`)}</select>
          <${FieldError} error=${error} at=${at} path="business_hours.start" /></label>
        <label>${t("hours.end")}<select name="end" value=${hours.end} onChange=${(e) => setHours({ end: Number(e.target.value) })}>
          ${[...Array(24).keys()].map((h) => html`<option value=${h + 1}>${hourText(h + 1)}</option>`)}</select>
          <${FieldError} error=${error} at=${at} path="business_hours.end" /></label>
        <label class="grow">${t("schedule.timezone")}<select name="timezone" value=${form.timezone}
          onChange=${(e) => { setSaved(false); setForm({ ...form, timezone: e.target.value }); }}>
          ${(zones.includes(form.timezone) ? zones : [form.timezone, ...zones]).map((z) => html`<option value=${z}>${z}</option>`)}</select>
          <${FieldError} error=${error} at=${at} path="timezone" /></label>
      </div>
      <${FieldError} error=${error} at=${at} path="business_hours" />
      ${error && !at ? html`<${ErrorBox} error=${error} />` : ""}
      ${saved ? html`<p class="ok" role="status">${t("hours.saved")}</p>` : ""}
      ${admin ? html`<button type="submit" class="btn primary">${busy ? t("saving") : t("hours.save")}</button>` : ""}
    </fieldset>` : ""}
    ${form && !admin ? html`<p class="muted">${t("hours.adminOnly")}</p>` : ""}
  </form>`;
}
