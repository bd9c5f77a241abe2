// Pieces the Alerts & incidents page and the incident view share: model keys in paths, badges, the changes table.
import { ExternalLink, html, Time } from "../components.js";
import { t, tOr } from "../i18n.js";

/** {source, id} of a model key such as `alertmanager#6760336f7be5bae2`, URL-encoded for a path. */
export function keyPath(key) {
  const cut = key.indexOf("#");
  return `${encodeURIComponent(key.slice(0, cut))}/${encodeURIComponent(key.slice(cut + 1))}`;
}

export const Badge = ({ kind, value }) => (value
  ? html`<span class=${`badge ${kind}-${String(value).replace(/[^a-z0-9_-]/gi, "")}`} data-value=${value}>${tOr(`${kind}.${value}`, value)}</span>`
  : html`<span class="muted">—</span>`);

/** Changes as a table (the Changes tab, and the changes before an incident). */
export function ChangesTable({ changes }) {
  return html`<div class="table-wrap"><table class="table changes stack">
    <thead><tr><th>${t("changes.at")}</th><th>${t("ops.service")}</th><th>${t("changes.kind")}</th><th>${t("changes.who")}</th>
      <th>${t("changes.outcome")}</th><th>${t("changes.details")}</th></tr></thead>
    <tbody>${changes.map((c) => html`<tr data-change=${c.key}><td data-label=${t("changes.at")}><${Time} value=${c.at} /></td>
      <td data-label=${t("ops.service")}>${c.service || html`<span class="muted">—</span>`}</td>
      <td data-label=${t("changes.kind")}>${c.kind}${c.environment ? html`<div class="sub">${c.environment}</div>` : ""}</td>
      <td data-label=${t("changes.who")}>${c.who || html`<span class="muted">—</span>`}</td>
      <td data-label=${t("changes.outcome")}><${Badge} kind="change" value=${c.outcome} /></td>
      <td class="detail" data-label=${t("changes.details")}>${c.description ? html`<div>${c.description}</div>` : ""}${c.link ? html`<div class="sub"><${ExternalLink} url=${c.link} /></div>` : ""}
        ${!c.description && !c.link ? html`<span class="muted">—</span>` : ""}</td></tr>`)}</tbody></table></div>`;
}

