// /ai-sre/integrations: one integration per monitoring tool (its URL, when it last received something,
// what it took and turned away, its recent errors); owners and admins make, rotate and delete them.
// A secret is shown once, in the dialog after create or rotate, and never in the list.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { Confirm, CopyButton, ErrorBox, html, Loading, PageHead, Time } from "../components.js";
import { useApp } from "../context.js";
import { t } from "../i18n.js";
import { scopeText } from "../summary.js";
import { BusinessHours } from "./business-hours.js";
import { NewIntegrationDialog, SecretDialog, SIGNED, SigningSecretDialog, TITLES } from "./integration-dialogs.js";

function Errors({ errors }) {
  return html`<div class="integration-errors" data-testid="integration-errors"><h3>${t("integration.recentErrors")}</h3>
    <div class="table-scroll"><table class="table compact"><thead><tr><th>${t("run.at")}</th><th>${t("integration.reason")}</th></tr></thead>
    <tbody>${errors.map((e) => html`<tr data-error><td><${Time} value=${e.at} /></td>
      <td class=${`reason ${String(e.reason).startsWith("refused") ? "refused" : "malformed"}`}>${e.reason}</td></tr>`)}</tbody></table></div></div>`;
}

function Row({ integration: it, admin, teams, expanded, onToggle, onRotate, onSigning, onDelete }) {
  const errors = it.errors || [];
  return html`<tr data-integration=${it.id}>
      <td data-label=${t("col.name")}><strong class="integration-name">${it.name}</strong><div class="sub">${TITLES[it.type] || it.title || it.type}</div></td>
      <td data-label=${t("col.scope")}>${it.team_id ? scopeText(it.team_id, teams) : t("integration.accountWide")}</td>
      <td class="url-cell" data-label=${t("integration.url")}><code class="mono" data-testid="integration-url">${it.url}</code>
        <${CopyButton} text=${it.url} label=${`${t("copy")} ${t("integration.url")}`} /></td>
      <td data-testid="last-received" data-label=${t("integration.lastReceived")}>${it.last_received_at ? html`<${Time} value=${it.last_received_at} />` : html`<span class="muted">${t("integration.never")}</span>`}
        ${it.confirmed_at ? html`<div class="sub">${t("integration.confirmed")}</div>` : ""}</td>
      <td class="counts" data-label=${t("integration.deliveries")}><span data-testid="received">${t("integration.received", { count: it.received })}</span>
        <div class=${it.refused ? "sub warn" : "sub"} data-testid="refused">${t("integration.refused", { count: it.refused })}</div>
        ${errors.length ? html`<button type="button" class="btn small link-like" aria-expanded=${expanded ? "true" : "false"} onClick=${onToggle}
          data-testid="errors-toggle">${t(expanded ? "integration.hideErrors" : "integration.showErrors", { count: errors.length })}</button>` : ""}</td>
      ${admin ? html`<td class="row-actions" data-label=${t("col.actions")}>
        ${it.type === "pagerduty" ? "" : html`<button type="button" class="btn small" onClick=${onRotate}>${t("integration.rotate")}</button>`}
        ${SIGNED.includes(it.type) ? html`<button type="button" class="btn small" onClick=${onSigning}>${t("integration.signing")}</button>` : ""}
        <button type="button" class="btn small danger-text" onClick=${onDelete}>${t("list.delete")}</button></td>` : ""}
    </tr>
    ${expanded && errors.length ? html`<tr class="detail-row"><td colspan=${admin ? 6 : 5}><${Errors} errors=${errors} /></td></tr>` : ""}`;
}

export function IntegrationsPage() {
  const { me, teams } = useApp();
  const admin = ["owner", "admin"].includes(me.user.role);
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState(null); // {answer, rotated}: the secret lives only while its dialog is open
  const [asking, setAsking] = useState(null); // {kind: "rotate" | "delete", integration}
  const [signing, setSigning] = useState(null);
  const [expanded, setExpanded] = useState(null);
  const load = async () => {
    setError(null);
    try { setList((await api("GET", "/integrations")).integrations); } catch (err) { setError(err); }
  };
  useEffect(() => { load(); }, []);
  const rotate = async () => {
    const answer = await api("POST", `/integrations/${encodeURIComponent(asking.integration.id)}/rotate`);
    setAsking(null);
    setShown({ answer, rotated: true });
    load();
  };
  const remove = async () => {
    await api("DELETE", `/integrations/${encodeURIComponent(asking.integration.id)}`);
    setAsking(null);
    load();
  };
  const name = asking?.integration.name;
  return html`<section class="integrations">
    <${PageHead} title=${t("integrations.title")} subtitle=${t("integrations.subtitle")}>
      <button type="button" class="btn" onClick=${load}>${t("refresh")}</button>
      ${admin ? html`<button type="button" class="btn primary" onClick=${() => setCreating(true)}>${t("integration.new")}</button>` : ""}
    <//>
    ${admin ? "" : html`<p class="banner read-only-banner" role="note">${t("integrations.adminOnly")}</p>`}
    <${ErrorBox} error=${error} retry=${load} />
    ${list === null && !error ? html`<${Loading} />` : ""}
    ${list && list.length === 0 ? html`<div class="empty card"><p>${t("integrations.empty")}</p>
      ${admin ? html`<button type="button" class="btn" onClick=${() => setCreating(true)}>${t("integrations.createFirst")}</button>` : ""}</div>` : ""}
    ${list && list.length ? html`<div class="table-wrap"><table class="table integrations-table stack">
      <thead><tr><th>${t("col.name")}</th><th>${t("col.scope")}</th><th>${t("integration.url")}</th><th>${t("integration.lastReceived")}</th>
        <th>${t("integration.deliveries")}</th>${admin ? html`<th>${t("col.actions")}</th>` : ""}</tr></thead>
      <tbody>${list.map((it) => html`<${Row} key=${it.id} integration=${it} admin=${admin} teams=${teams} expanded=${expanded === it.id}
        onToggle=${() => setExpanded(expanded === it.id ? null : it.id)} onSigning=${() => setSigning(it)}
        onRotate=${() => setAsking({ kind: "rotate", integration: it })} onDelete=${() => setAsking({ kind: "delete", integration: it })} />`)}</tbody>
    </table></div>` : ""}
    <${BusinessHours} admin=${admin} />
    ${creating ? html`<${NewIntegrationDialog} teams=${teams} onClose=${() => setCreating(false)}
      onCreated=${(answer) => { setCreating(false); setShown({ answer, rotated: false }); load(); }} />` : ""}
    ${shown ? html`<${SecretDialog} answer=${shown.answer} rotated=${shown.rotated} onClose=${() => setShown(null)} onSaved=${load} />` : ""}
    ${signing ? html`<${SigningSecretDialog} integration=${signing} onClose=${() => setSigning(null)} onSaved=${load} />` : ""}
    ${asking?.kind === "rotate" ? html`<${Confirm} title=${t("integration.rotateTitle", { name })} message=${t("integration.rotateConfirm")}
      confirmLabel=${t("integration.rotate")} danger onConfirm=${rotate} onCancel=${() => setAsking(null)} />` : ""}
    ${asking?.kind === "delete" ? html`<${Confirm} title=${t("integration.deleteTitle", { name })} message=${t("integration.deleteConfirm")}
      confirmLabel=${t("list.delete")} danger onConfirm=${remove} onCancel=${() => setAsking(null)} />` : ""}
  </section>`;
}
