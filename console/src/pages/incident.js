// /ai-sre/alerts?tab=incidents&incident=<key>: one incident's timeline: its status changes (who,
// when; a happening that changes no status, such as an escalation, by what it was), the times to
// detect, acknowledge and resolve, its alerts and the changes on its service before it.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, ExternalLink, html, Loading, secondsText, Time } from "../components.js";
import { t, tOr } from "../i18n.js";
import { href } from "../router.js";
import { Badge, ChangesTable, keyPath } from "./ops-parts.js";

function Metric({ name, value, testId }) {
  return html`<div class="metric" data-metric=${testId}><span class="label">${name}</span><strong>${value}</strong></div>`;
}

function Timeline({ entries, firstAlert }) {
  const items = [...entries].map((e, i) => ({ ...e, order: i })).sort((a, b) => (a.at || "").localeCompare(b.at || "") || a.order - b.order);
  return html`<ol class="timeline" data-testid="timeline">
    ${firstAlert ? html`<li class="timeline-alert" data-kind="alert"><${Time} value=${firstAlert.at} />
      <span class="what">${t("incident.firstAlert")}</span> <span>${firstAlert.name}</span></li>` : ""}
    ${items.map((e) => html`<li data-status=${e.status || undefined} data-what=${e.what}><${Time} value=${e.at} />
      ${e.status ? html`<${Badge} kind="incident" value=${e.status} />` : ""}
      ${e.what && e.what !== e.status ? html`<span class="what">${tOr(`incident.what.${e.what}`, e.what)}</span>` : ""}
      ${e.who ? html`<span class="who-did">${t("incident.by", { who: e.who })}</span>` : ""}</li>`)}
  </ol>`;
}

export function IncidentView({ incidentKey }) {
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const load = () => {
    setError(null);
    api("GET", `/incidents/${keyPath(incidentKey)}`).then(setAnswer).catch(setError);
  };
  useEffect(load, [incidentKey]);
  const crumbs = html`<p class="crumbs"><a data-route href=${href("/alerts?tab=incidents")}>← ${t("incident.back")}</a></p>`;
  if (error) return html`<section>${crumbs}<h1>${t("incident.title")}</h1><${ErrorBox} error=${error} retry=${load} /></section>`;
  if (!answer) return html`<section>${crumbs}<${Loading} /></section>`;
  const { incident, timeline, alerts, changes, metrics } = answer;
  const first = alerts.find((a) => a.first_start === metrics.first_alert_at);
  return html`<section class="incident" data-incident=${incident.key}>
    ${crumbs}
    <h1>${incident.title}</h1>
    <p class="muted"><${Badge} kind="incident" value=${incident.status} />
      <span class="mono"> ${incident.number ? `#${incident.number} · ` : ""}${incident.key}</span></p>
    <div class="metrics" data-testid="metrics">
      <${Metric} testId="detect" name=${t("incident.ttd")} value=${secondsText(metrics.time_to_detect_seconds)} />
      <${Metric} testId="acknowledge" name=${t("incident.tta")} value=${secondsText(metrics.time_to_acknowledge_seconds)} />
      <${Metric} testId="resolve" name=${t("incident.ttr")} value=${secondsText(metrics.time_to_resolve_seconds)} />
    </div>
    <div class="card facts incident-facts">
      <div><span class="label">${t("ops.service")}</span>${incident.service || "—"}</div>
      <div><span class="label">${t("incidents.urgency")}</span>${incident.urgency || "—"}${incident.priority ? ` · ${incident.priority}` : ""}</div>
      <div><span class="label">${t("incidents.opened")}</span><${Time} value=${incident.opened_at} /></div>
      <div><span class="label">${t("incident.acknowledgedAt")}</span><${Time} value=${incident.acknowledged_at} /></div>
      <div><span class="label">${t("incidents.resolved")}</span><${Time} value=${incident.resolved_at} /></div>
      <div><span class="label">${t("incidents.assignees")}</span>${(incident.assignees || []).join(", ") || "—"}</div>
      ${incident.escalation ? html`<div><span class="label">${t("incident.escalation")}</span>${incident.escalation}</div>` : ""}
      ${incident.url ? html`<div><span class="label">${t("incident.link")}</span><${ExternalLink} url=${incident.url}>${t("incident.openInTool")}<//></div>` : ""}
    </div>
    <h2>${t("incident.timeline")}</h2>
    <${Timeline} entries=${timeline} firstAlert=${first ? { at: first.first_start, name: first.name } : null} />
    <h2>${t("incident.alerts")}</h2>
    ${alerts.length === 0 ? html`<p class="muted">${t("incident.noAlerts")}</p>` : html`<div class="table-wrap"><table class="table incident-alerts stack">
      <thead><tr><th>${t("alerts.alert")}</th><th>${t("ops.service")}</th><th>${t("ops.severity")}</th><th>${t("incident.firstStart")}</th>
        <th>${t("alerts.fired")}</th></tr></thead>
      <tbody>${alerts.map((a) => html`<tr data-alert=${a.key}><td data-label=${t("alerts.alert")}><strong>${a.name}</strong>
          ${a.linked ? html`<span class="tag">${t("incident.linked")}</span>` : ""}<div class="sub mono">${a.key}</div></td>
        <td data-label=${t("ops.service")}>${a.service || "—"}</td><td data-label=${t("ops.severity")}><${Badge} kind="sev" value=${a.severity} /></td>
        <td data-label=${t("incident.firstStart")}><${Time} value=${a.first_start} /></td>
        <td data-label=${t("alerts.fired")}>${a.firings.length}</td></tr>`)}</tbody></table></div>`}
    <h2>${t("incident.changes")}</h2>
    ${changes.length === 0 ? html`<p class="muted">${t("incident.noChanges")}</p>` : html`<${ChangesTable} changes=${changes} />`}
  </section>`;
}
