// /ai-sre/automations: the list, its filters, the inline switch, History / Edit / Delete.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api.js";
import { Confirm, ErrorBox, html, Loading, PageHead, Switch } from "../components.js";
import { useApp } from "../context.js";
import { t } from "../i18n.js";
import { href, navigate } from "../router.js";
import { environmentText, scopeText, triggerText } from "../summary.js";
import { ListFoot, usePaged } from "../paged.js";
import { StartPanel } from "./start-panel.js";

const PAGE = 50;
const FIRST = { scope: "all", status: "all", limit: PAGE };

// The first page of the list is asked for as the script starts, beside /me, /teams and /runners,
// instead of after them: the list shows as soon as the slowest of the four answers.
let early = null;
export function prefetchList() {
  early = api("GET", "/automations", { query: FIRST });
  early.catch(() => {});
}

export function pausedText(paused) {
  if (!paused) return "";
  const by = paused.by || {};
  const who = by.name || by.id || "";
  const kind = by.kind === "automation" ? t("paused.byAutomation", { who }) : t("paused.byUser", { who });
  return paused.reason ? `${kind}: ${paused.reason}` : kind;
}

function TeamPicker({ teams, chosen, onChange }) {
  const [open, setOpen] = useState(false);
  const toggle = (id) => onChange(chosen.includes(id) ? chosen.filter((x) => x !== id) : [...chosen, id]);
  const label = chosen.length ? teams.filter((x) => chosen.includes(x.id)).map((x) => x.name).join(", ") : t("filter.allTeams");
  return html`<div class="multi">
    <button type="button" class="btn select-like" aria-haspopup="true" aria-expanded=${open} onClick=${() => setOpen(!open)}
      data-testid="team-picker">${label}</button>
    ${open ? html`<div class="multi-menu" role="group" aria-label=${t("filter.teams")}>
      ${teams.length ? teams.map((team) => html`<label class="check"><input type="checkbox" checked=${chosen.includes(team.id)}
        onChange=${() => toggle(team.id)} />${team.name}</label>`) : html`<span class="muted">${t("filter.noTeams")}</span>`}
    </div>` : ""}
  </div>`;
}

function Row({ rule, onChanged, onDelete }) {
  const { teams, runners } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const readOnly = !rule.can_edit;
  const flip = async (on) => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api("POST", `/automations/${encodeURIComponent(rule.id)}/${on ? "enable" : "disable"}`);
      onChanged(answer.automation);
    } catch (err) { setError(err); }
    setBusy(false);
  };
  const go = (path) => () => navigate(path);
  return html`<tr data-id=${rule.id} class=${readOnly ? "read-only" : ""}>
    <td class="name-cell"><a data-route href=${href(`/automations/${encodeURIComponent(rule.id)}`)} class="rule-name">${rule.name}</a>
      ${readOnly ? html`<span class="tag" title=${t("readOnly.banner")}>${t("readOnly.tag")}</span>` : ""}
      ${rule.paused ? html`<div class="paused-note" data-paused>${t("paused.label")} · ${pausedText(rule.paused)}</div>` : ""}
      ${error ? html`<div class="field-error" role="alert">${error.message}</div>` : ""}</td>
    <td>${scopeText(rule.team_id, teams)}</td>
    <td class="triggers-cell">${rule.triggers.map((trig) => html`<div class="trigger-line">${triggerText(trig)}</div>`)}</td>
    <td>${environmentText(rule.environment, runners)}</td>
    <td><${Switch} checked=${rule.enabled} disabled=${readOnly || busy} onChange=${flip}
      label=${rule.enabled ? t("list.disable", { name: rule.name }) : t("list.enable", { name: rule.name })} /></td>
    <td class="row-actions">
      <button type="button" class="btn small" disabled=${readOnly} onClick=${go(`/automations/${encodeURIComponent(rule.id)}/history`)}
        title=${readOnly ? t("history.readOnly") : t("list.history")}>${t("list.history")}</button>
      <button type="button" class="btn small" disabled=${readOnly} onClick=${go(`/automations/${encodeURIComponent(rule.id)}`)}>${t("list.edit")}</button>
      <button type="button" class="btn small danger-text" disabled=${readOnly} onClick=${() => onDelete(rule)}>${t("list.delete")}</button>
    </td>
  </tr>`;
}

export function AutomationsPage() {
  const { teams } = useApp();
  const [scope, setScope] = useState("all");
  const [chosenTeams, setChosenTeams] = useState([]);
  const [status, setStatus] = useState("all");
  const [deleting, setDeleting] = useState(null);
  const [starting, setStarting] = useState(false);
  const query = (cursor) => ({ scope, status, limit: PAGE, cursor, team_id: scope === "team" ? chosenTeams : [] });
  const paged = usePaged(async (cursor, first) => {
    const reuse = early && first && scope === "all" && status === "all";
    const answer = await (reuse ? early : api("GET", "/automations", { query: query(cursor) }));
    early = null;
    performance.mark("automations-received"); // bench/console.py
    return [answer.automations, answer.next_cursor];
  }, [scope, status, chosenTeams.join(",")]);
  const { items: rules, setItems: setRules, error } = paged;
  // Rows are re-rendered only when their rule changes: the same vnode for the same rule object lets
  // Preact skip it, so appending a page to a list of 1,000 renders 50 rows, not 1,050.
  const { runners } = useApp();
  const rowCache = useRef({ teams: null, runners: null, rows: new WeakMap() });
  if (rowCache.current.teams !== teams || rowCache.current.runners !== runners) {
    rowCache.current = { teams, runners, rows: new WeakMap() };
  }
  const rowOf = (rule) => {
    let vnode = rowCache.current.rows.get(rule);
    if (!vnode) {
      vnode = html`<${Row} key=${rule.id} rule=${rule} onChanged=${replace} onDelete=${setDeleting} />`;
      rowCache.current.rows.set(rule, vnode);
    }
    return vnode;
  };

  useEffect(() => { if (rules) performance.mark(`automations-rendered-${rules.length}`); }, [rules]); // bench/console.py

  function replace(rule) { setRules((now) => now.map((r) => (r.id === rule.id ? rule : r))); }
  const remove = async () => {
    await api("DELETE", `/automations/${encodeURIComponent(deleting.id)}`);
    setRules((now) => now.filter((r) => r.id !== deleting.id));
    setDeleting(null);
  };

  return html`<section>
    <${PageHead} title=${t("list.title")} subtitle=${t("list.subtitle")}>
      <button type="button" class="btn primary" onClick=${() => setStarting(true)}>${t("list.new")}</button>
    <//>
    <div class="filters">
      <label>${t("filter.scope")}
        <select value=${scope} onChange=${(e) => setScope(e.target.value)} aria-label=${t("filter.scope")} name="scope">
          <option value="all">${t("filter.all")}</option><option value="personal">${t("scope.personal")}</option>
          <option value="team">${t("filter.team")}</option></select></label>
      ${scope === "team" ? html`<${TeamPicker} teams=${teams} chosen=${chosenTeams} onChange=${setChosenTeams} />` : ""}
      <label>${t("filter.status")}
        <select value=${status} onChange=${(e) => setStatus(e.target.value)} aria-label=${t("filter.status")} name="status">
          <option value="all">${t("filter.allStatuses")}</option><option value="enabled">${t("filter.enabled")}</option>
          <option value="disabled">${t("filter.disabled")}</option></select></label>
    </div>
    <${ErrorBox} error=${error} retry=${paged.load} />
    ${rules === null && !error ? html`<${Loading} />` : ""}
    ${rules && rules.length === 0 ? html`<div class="empty card"><p>${scope === "all" && status === "all" ? t("list.empty") : t("list.emptyFiltered")}</p>
      <button type="button" class="btn" onClick=${() => setStarting(true)}>${t("list.createFirst")}</button></div>` : ""}
    ${rules && rules.length ? html`<div class="table-wrap"><table class="table automations">
      <thead><tr><th>${t("col.name")}</th><th>${t("col.scope")}</th><th>${t("col.triggers")}</th><th>${t("col.environment")}</th>
        <th>${t("col.enabled")}</th><th>${t("col.actions")}</th></tr></thead>
      <tbody>${rules.map(rowOf)}</tbody>
    </table></div>
    <${ListFoot} paged=${paged} countKey="list.count" />` : ""}
    ${deleting ? html`<${Confirm} title=${t("delete.title", { name: deleting.name })} message=${t("delete.confirm")}
      confirmLabel=${t("list.delete")} danger onConfirm=${remove} onCancel=${() => setDeleting(null)} />` : ""}
    ${starting ? html`<${StartPanel} onClose=${() => setStarting(false)} />` : ""}
  </section>`;
}
