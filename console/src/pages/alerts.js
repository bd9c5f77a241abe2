// /ai-sre/alerts: what the integrations brought in: alerts (each with its firings), incidents (each
// opening its timeline) and changes, filtered, one page at a time. Everything here came from a
// monitoring tool and is untrusted: it is shown as text, and links only when they are http(s).
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, ExternalLink, html, Loading, PageHead, secondsText, Tabs, Time } from "../components.js";
import { t } from "../i18n.js";
import { navigate } from "../router.js";
import { ListFoot, usePaged } from "../paged.js";
import { IncidentView } from "./incident.js";
import { Badge, ChangesTable, keyPath } from "./ops-parts.js";

const TABS = ["alerts", "incidents", "changes"];
const SEVERITIES = ["critical", "error", "warning", "info"];
// The API reads at most 31 days of incidents or changes at once.
export const WINDOWS = [["24h", 86400e3], ["7d", 7 * 86400e3], ["31d", 31 * 86400e3]];
const sinceOf = (win) => new Date(Date.now() - WINDOWS.find(([k]) => k === win)[1]).toISOString();

const secondsBetween = (a, b) => (a && b ? Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 1000)) : null);

/** The filter bar: its fields edit a draft, Apply makes it the list's query. */
function Filters({ draft, setDraft, onApply, children }) {
  return html`<form class="filters" onSubmit=${(e) => { e.preventDefault(); onApply(); }}>
    ${children(draft, (patch) => setDraft({ ...draft, ...patch }))}
    <button type="submit" class="btn primary">${t("events.apply")}</button></form>`;
}

const serviceField = (draft, set) => html`<label>${t("ops.service")}<input name="service" value=${draft.service}
  placeholder="checkout-api" onInput=${(e) => set({ service: e.target.value })} /></label>`;
const windowField = (draft, set) => html`<label>${t("ops.window")}<select name="window" value=${draft.window}
  onChange=${(e) => set({ window: e.target.value })}>${WINDOWS.map(([k]) => html`<option value=${k}>${t(`ops.window.${k}`)}</option>`)}</select></label>`;

function AlertDetail({ alertKey }) {
  const paged = usePaged(async (cursor) => {
    const answer = await api("GET", `/alerts/${keyPath(alertKey)}`, { query: { limit: 20, cursor } });
    return [answer.firings, answer.next_cursor];
  }, [alertKey]);
  const { items: firings, error } = paged;
  if (error) return html`<${ErrorBox} error=${error} retry=${paged.load} />`;
  if (!firings) return html`<${Loading} />`;
  return html`<div class="alert-detail" data-firings=${alertKey}>
    <h3>${t("alerts.firings")}</h3>
    ${firings.length === 0 ? html`<p class="muted">${t("alerts.noFirings")}</p>` : html`<div class="table-scroll"><table class="table compact firings">
      <thead><tr><th>${t("alerts.start")}</th><th>${t("alerts.end")}</th><th>${t("col.duration")}</th>
        <th>${t("alerts.ackedBy")}</th><th>${t("alerts.ackedAt")}</th></tr></thead>
      <tbody>${firings.map((f) => html`<tr data-firing=${f.start}><td><${Time} value=${f.start} /></td>
        <td>${f.end ? html`<${Time} value=${f.end} />` : html`<span class="badge alert-firing">${t("alert.firing")}</span>`}</td>
        <td>${secondsText(f.duration_seconds)}</td><td>${f.acked_by || html`<span class="muted">—</span>`}</td>
        <td><${Time} value=${f.acked_at} /></td></tr>`)}</tbody></table></div>`}
    ${paged.cursor ? html`<button type="button" class="btn small" onClick=${paged.loadMore} disabled=${paged.more}>${t("loadMore")}</button>` : ""}
  </div>`;
}

function AlertFacts({ alert }) {
  const labels = Object.entries(alert.labels || {});
  const notes = Object.entries(alert.annotations || {});
  return html`<div class="alert-facts">
    ${notes.length ? html`<dl class="notes">${notes.map(([k, v]) => html`<dt>${k}</dt><dd>${/^https?:\/\//i.test(v)
      ? html`<${ExternalLink} url=${v} />` : v}</dd>`)}</dl>` : ""}
    ${labels.length ? html`<div class="chips" aria-label=${t("alerts.labels")}>${labels.map(([k, v]) => html`<span class="chip mono">${k}=${v}</span>`)}</div>` : ""}
    ${alert.generator_url ? html`<p class="sub"><${ExternalLink} url=${alert.generator_url}>${t("alerts.source")}<//></p>` : ""}
  </div>`;
}

function AlertsTab() {
  const blank = { status: "", service: "", severity: "" };
  const [draft, setDraft] = useState(blank);
  const [applied, setApplied] = useState(blank);
  const [open, setOpen] = useState(null);
  const paged = usePaged(async (cursor) => {
    const answer = await api("GET", "/alerts", { query: { ...applied, limit: 50, cursor } });
    return [answer.alerts, answer.next_cursor];
  }, [applied]);
  const { items: alerts, error } = paged;
  const filtered = Boolean(applied.status || applied.service || applied.severity);
  return html`<div data-panel="alerts">
    <${Filters} draft=${draft} setDraft=${setDraft} onApply=${() => { setOpen(null); setApplied({ ...draft, service: draft.service.trim(), severity: draft.severity.trim() }); }}>
      ${(d, set) => html`<label>${t("filter.status")}<select name="status" value=${d.status} onChange=${(e) => set({ status: e.target.value })}>
          <option value="">${t("filter.allStatuses")}</option><option value="firing">${t("alert.firing")}</option>
          <option value="resolved">${t("alert.resolved")}</option></select></label>
        ${serviceField(d, set)}
        <label>${t("ops.severity")}<input name="severity" value=${d.severity} list="severities" placeholder="critical"
          onInput=${(e) => set({ severity: e.target.value })} /><datalist id="severities">${SEVERITIES.map((s) => html`<option value=${s} />`)}</datalist></label>`}
    <//>
    <${ErrorBox} error=${error} retry=${paged.load} />
    ${alerts === null && !error ? html`<${Loading} />` : ""}
    ${alerts && alerts.length === 0 ? html`<div class="empty card"><p>${filtered ? t("alerts.emptyFiltered") : t("alerts.empty")}</p></div>` : ""}
    ${alerts && alerts.length ? html`<div class="table-wrap"><table class="table alerts stack">
      <thead><tr><th>${t("col.status")}</th><th>${t("alerts.alert")}</th><th>${t("ops.service")}</th><th>${t("ops.severity")}</th>
        <th>${t("alerts.lastStart")}</th><th>${t("alerts.fired")}</th><th></th></tr></thead>
      <tbody>${alerts.map((a) => html`<tr data-alert=${a.key} class="clickable" onClick=${() => setOpen(open === a.key ? null : a.key)}>
          <td data-label=${t("col.status")}><${Badge} kind="alert" value=${a.status} /></td>
          <td data-label=${t("alerts.alert")}><strong>${a.name}</strong><div class="sub mono">${a.key}</div></td>
          <td data-label=${t("ops.service")}>${a.service || html`<span class="muted">—</span>`}</td>
          <td data-label=${t("ops.severity")}><${Badge} kind="sev" value=${a.severity} /></td>
          <td data-label=${t("alerts.lastStart")}><${Time} value=${a.last_start} /></td><td data-label=${t("alerts.fired")}>${a.fired}</td>
          <td class="row-button"><button type="button" class="btn small" aria-expanded=${open === a.key ? "true" : "false"}
            onClick=${(e) => { e.stopPropagation(); setOpen(open === a.key ? null : a.key); }}>${open === a.key ? t("alerts.hide") : t("alerts.show")}</button></td>
        </tr>
        ${open === a.key ? html`<tr class="detail-row"><td colspan="7"><${AlertFacts} alert=${a} /><${AlertDetail} alertKey=${a.key} /></td></tr>` : ""}`)}
      </tbody></table></div>
      <${ListFoot} paged=${paged} countKey="alerts.count" />` : ""}
  </div>`;
}

function IncidentsTab() {
  const blank = { status: "", service: "", window: "7d" };
  const [draft, setDraft] = useState(blank);
  const [applied, setApplied] = useState(blank);
  const paged = usePaged(async (cursor) => {
    const answer = await api("GET", "/incidents", { query: { status: applied.status, service: applied.service,
      since: sinceOf(applied.window), limit: 50, cursor } });
    return [answer.incidents, answer.next_cursor];
  }, [applied]);
  const { items: incidents, error } = paged;
  const openOne = (i) => navigate(`/alerts?tab=incidents&incident=${encodeURIComponent(i.key)}`);
  return html`<div data-panel="incidents">
    <${Filters} draft=${draft} setDraft=${setDraft} onApply=${() => setApplied({ ...draft, service: draft.service.trim() })}>
      ${(d, set) => html`<label>${t("filter.status")}<select name="status" value=${d.status} onChange=${(e) => set({ status: e.target.value })}>
          <option value="">${t("filter.allStatuses")}</option><option value="open">${t("incident.open")}</option>
          ${["triggered", "acknowledged", "resolved"].map((s) => html`<option value=${s}>${t(`incident.${s}`)}</option>`)}</select></label>
        ${serviceField(d, set)}${windowField(d, set)}`}
    <//>
    <${ErrorBox} error=${error} retry=${paged.load} />
    ${incidents === null && !error ? html`<${Loading} />` : ""}
    ${incidents && incidents.length === 0 ? html`<div class="empty card"><p>${t("incidents.empty")}</p></div>` : ""}
    ${incidents && incidents.length ? html`<div class="table-wrap"><table class="table incidents stack">
      <thead><tr><th>${t("col.status")}</th><th>${t("incidents.incident")}</th><th>${t("ops.service")}</th><th>${t("incidents.urgency")}</th>
        <th>${t("incidents.opened")}</th><th>${t("incidents.toAck")}</th><th>${t("incidents.resolved")}</th><th>${t("incidents.assignees")}</th></tr></thead>
      <tbody>${incidents.map((i) => html`<tr data-incident=${i.key} class="clickable" tabindex="0" title=${t("incidents.open")}
        onClick=${() => openOne(i)} onKeyDown=${(e) => { if (e.key === "Enter") openOne(i); }}>
        <td data-label=${t("col.status")}><${Badge} kind="incident" value=${i.status} /></td>
        <td data-label=${t("incidents.incident")}><strong>${i.title}</strong><div class="sub mono">${i.number ? `#${i.number} · ` : ""}${i.key}</div></td>
        <td data-label=${t("ops.service")}>${i.service || html`<span class="muted">—</span>`}</td>
        <td data-label=${t("incidents.urgency")}>${i.urgency || html`<span class="muted">—</span>`}</td>
        <td data-label=${t("incidents.opened")}><${Time} value=${i.opened_at} /></td>
        <td data-label=${t("incidents.toAck")}>${secondsText(secondsBetween(i.opened_at, i.acknowledged_at))}</td>
        <td data-label=${t("incidents.resolved")}><${Time} value=${i.resolved_at} /></td>
        <td data-label=${t("incidents.assignees")}>${(i.assignees || []).join(", ") || html`<span class="muted">—</span>`}</td>
      </tr>`)}</tbody></table></div>
      <${ListFoot} paged=${paged} countKey="incidents.count" />` : ""}
  </div>`;
}

function ChangesTab() {
  const blank = { service: "", window: "7d" };
  const [draft, setDraft] = useState(blank);
  const [applied, setApplied] = useState(blank);
  const paged = usePaged(async (cursor) => {
    const answer = await api("GET", "/changes", { query: { service: applied.service, since: sinceOf(applied.window), limit: 50, cursor } });
    return [answer.changes, answer.next_cursor];
  }, [applied]);
  const { items: changes, error } = paged;
  return html`<div data-panel="changes">
    <${Filters} draft=${draft} setDraft=${setDraft} onApply=${() => setApplied({ ...draft, service: draft.service.trim() })}>
      ${(d, set) => html`${serviceField(d, set)}${windowField(d, set)}`}
    <//>
    <${ErrorBox} error=${error} retry=${paged.load} />
    ${changes === null && !error ? html`<${Loading} />` : ""}
    ${changes && changes.length === 0 ? html`<div class="empty card"><p>${t("changes.empty")}</p></div>` : ""}
    ${changes && changes.length ? html`<${ChangesTable} changes=${changes} /><${ListFoot} paged=${paged} countKey="changes.count" />` : ""}
  </div>`;
}

export function AlertsPage({ query }) {
  if (query.incident) return html`<${IncidentView} key=${query.incident} incidentKey=${query.incident} />`;
  const tab = TABS.includes(query.tab) ? query.tab : "alerts";
  return html`<section class="ops">
    <${PageHead} title=${t("alerts.title")} subtitle=${t("alerts.subtitle")} />
    <${Tabs} label=${t("alerts.title")} current=${tab} tabs=${TABS.map((k) => [k, t(`alerts.tab.${k}`)])}
      onChange=${(k) => navigate(k === "alerts" ? "/alerts" : `/alerts?tab=${k}`, { replace: true })} />
    ${tab === "alerts" ? html`<${AlertsTab} />` : tab === "incidents" ? html`<${IncidentsTab} />` : html`<${ChangesTab} />`}
  </section>`;
}
