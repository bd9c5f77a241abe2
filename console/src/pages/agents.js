// /ai-sre/agents: the account's agent profiles (which model an automation's runs use). Owners and admins
// make, change and delete them; a key is never shown, only the name of the account secret that holds it.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { Dialog, ErrorBox, FieldError, html, resolveField } from "../components.js";
import { useApp } from "../context.js";
import { t } from "../i18n.js";
import { scopeText } from "../summary.js";
import { AdminListHead, DeleteConfirm, useAdminList } from "./admin-list.js";
import { SecretPicker, useSecretNames } from "./mcp-servers.js";

export const BACKENDS = ["builtin", "openai", "bedrock"];
const FIELDS = new Set(["name", "team_id", "backend", "base_url", "model", "api_key_secret", "max_steps", "max_tokens", "default"]);

/** The body for a backend: only the fields it takes (the API refuses the others, naming them). */
function body(f) {
  const out = { name: f.name.trim(), team_id: Number(f.team_id), backend: f.backend,
    max_steps: f.max_steps === "" ? null : Number(f.max_steps), max_tokens: f.max_tokens === "" ? null : Number(f.max_tokens),
    default: Number(f.team_id) === 0 ? f.default : false };
  if (f.backend === "openai") Object.assign(out, { base_url: f.base_url.trim(), model: f.model.trim(), api_key_secret: f.api_key_secret || null });
  if (f.backend === "bedrock") out.model = f.model.trim() || null;
  return out;
}

function ProfileDialog({ agent, teams, onClose, onSaved }) {
  const editing = Boolean(agent.id);
  const secrets = useSecretNames();
  const [f, setF] = useState({ name: agent.name || "", team_id: String(agent.team_id || 0), backend: agent.backend || "openai",
    base_url: agent.base_url || "", model: agent.model || "", api_key_secret: agent.api_key_secret || "",
    max_steps: agent.max_steps ?? 8, max_tokens: agent.max_tokens ?? 50000, default: Boolean(agent.default) });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (patch) => setF({ ...f, ...patch });
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await (editing ? api("PUT", `/agents/${encodeURIComponent(agent.id)}`, { body: body(f) }) : api("POST", "/agents", { body: body(f) }));
      onSaved();
    } catch (err) { setError(err); setBusy(false); }
  };
  const at = error?.field ? resolveField(error.field, FIELDS) : null;
  const err = (path) => html`<${FieldError} error=${error} at=${at} path=${path} />`;
  return html`<${Dialog} title=${editing ? t("agents.editTitle", { name: agent.name }) : t("agents.new")} onClose=${busy ? null : onClose}
    wide labelId="agent-dialog-title" footer=${html`
      <button type="button" class="btn" onClick=${onClose} disabled=${busy}>${t("cancel")}</button>
      <button type="submit" form="agent-form" class="btn primary" disabled=${busy || !f.name.trim()}>
        ${busy ? t("saving") : editing ? t("form.save") : t("agents.create")}</button>`}>
    <form id="agent-form" onSubmit=${save}>
      <div class="two">
        <label>${t("col.name")}<input name="name" value=${f.name} maxlength="255" required placeholder="gpt prod"
          onInput=${(e) => set({ name: e.target.value })} />${err("name")}</label>
        <label>${t("form.scope")}<select name="team_id" value=${f.team_id} onChange=${(e) => set({ team_id: e.target.value })}>
          <option value="0">${t("integration.accountWide")}</option>
          ${teams.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select>
          <span class="hint">${t("agents.scopeHint")}</span>${err("team_id")}</label>
      </div>
      <label>${t("agents.backend")}<select name="backend" value=${f.backend} onChange=${(e) => set({ backend: e.target.value })}>
        ${BACKENDS.map((b) => html`<option value=${b}>${t(`agents.backend.${b}`)}</option>`)}</select>
        <span class="hint">${t(`agents.backendHint.${f.backend}`)}</span>${err("backend")}</label>
      ${f.backend === "openai" ? html`<label>${t("agents.baseUrl")}<input name="base_url" type="url" value=${f.base_url} required
        placeholder="https://api.openai.com/v1" onInput=${(e) => set({ base_url: e.target.value })} />${err("base_url")}</label>` : ""}
      ${f.backend !== "builtin" ? html`<label>${t("agents.model")}<input name="model" value=${f.model} required=${f.backend === "openai"}
        placeholder=${f.backend === "openai" ? "gpt-4o-mini" : t("agents.bedrockDefault")} onInput=${(e) => set({ model: e.target.value })} />
        ${err("model")}</label>` : ""}
      ${f.backend === "openai" ? html`<label>${t("agents.keySecret")}<${SecretPicker} name="api_key_secret" label=${t("agents.keySecret")}
        value=${f.api_key_secret} names=${secrets} allowNone onChange=${(v) => set({ api_key_secret: v })} />
        <span class="hint">${t("agents.keyHint")}</span>${err("api_key_secret")}</label>` : ""}
      <div class="two">
        <label>${t("agents.maxSteps")}<input name="max_steps" type="number" min="1" max="50" value=${f.max_steps}
          onInput=${(e) => set({ max_steps: e.target.value })} />${err("max_steps")}</label>
        <label>${t("agents.maxTokens")}<input name="max_tokens" type="number" min="1000" max="2000000" step="1000" value=${f.max_tokens}
          onInput=${(e) => set({ max_tokens: e.target.value })} />${err("max_tokens")}</label>
      </div>
      <label class="check"><input type="checkbox" name="default" checked=${f.default && Number(f.team_id) === 0}
        disabled=${Number(f.team_id) !== 0} onChange=${(e) => set({ default: e.target.checked })} />${t("agents.makeDefault")}</label>
      <span class="hint">${t("agents.defaultHint")}</span>${err("default")}
      ${error && !at ? html`<${ErrorBox} error=${error} />` : ""}
    </form>
  <//>`;
}

export function AgentsPage() {
  const { me, teams } = useApp();
  const admin = ["owner", "admin"].includes(me.user.role);
  const state = useAdminList("/agents", "agents"); // a refused delete (409) names the automations using the profile
  const { list, editing, setEditing, setDeleting, load } = state;
  return html`<section class="agents">
    <${AdminListHead} strings="agents" admin=${admin} state=${state} />
    ${list && list.length ? html`<div class="table-wrap"><table class="table agents-table stack">
      <thead><tr><th>${t("col.name")}</th><th>${t("col.scope")}</th><th>${t("agents.backend")}</th><th>${t("agents.model")}</th>
        <th>${t("agents.keySecret")}</th><th>${t("agents.limits")}</th>${admin ? html`<th>${t("col.actions")}</th>` : ""}</tr></thead>
      <tbody>${list.map((a) => html`<tr key=${a.id} data-agent=${a.id}>
        <td data-label=${t("col.name")}><strong class="agent-name">${a.name}</strong>
          ${a.default ? html` <span class="badge default-badge" data-testid="default-badge">${t("agents.default")}</span>` : ""}</td>
        <td data-label=${t("col.scope")}>${a.team_id ? scopeText(a.team_id, teams) : t("integration.accountWide")}</td>
        <td data-label=${t("agents.backend")}>${t(`agents.backend.${a.backend}`)}</td>
        <td data-label=${t("agents.model")}>${a.model ? html`<span class="mono">${a.model}</span>` : html`<span class="muted">—</span>`}
          ${a.base_url ? html`<div class="sub mono">${a.base_url}</div>` : ""}</td>
        <td data-label=${t("agents.keySecret")}>${a.api_key_secret ? html`<span class="mono">${a.api_key_secret}</span>` : html`<span class="muted">—</span>`}</td>
        <td data-label=${t("agents.limits")}>${t("agents.limitsText", { steps: a.max_steps, tokens: Number(a.max_tokens).toLocaleString() })}</td>
        ${admin ? html`<td class="row-actions" data-label=${t("col.actions")}>
          <button type="button" class="btn small" onClick=${() => setEditing(a)}>${t("agents.edit")}</button>
          <button type="button" class="btn small danger-text" onClick=${() => setDeleting(a)}>${t("list.delete")}</button></td>` : ""}
      </tr>`)}</tbody></table></div>` : ""}
    ${editing ? html`<${ProfileDialog} key=${editing.id || "new"} agent=${editing} teams=${teams} onClose=${() => setEditing(null)}
      onSaved=${() => { setEditing(null); load(); }} />` : ""}
    <${DeleteConfirm} strings="agents" state=${state} />
  </section>`;
}
