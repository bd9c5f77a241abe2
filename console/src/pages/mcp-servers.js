// /ai-sre/mcp-servers: the MCP servers whose tools automations may offer their runs (the automations'
// scope); owners and admins add, edit, delete and Test them (the service connects as a cloud run would
// and lists the server's tools, or says why it cannot). A header's value is plain text or the name of an
// account secret: secret values are never shown.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { Dialog, ErrorBox, FieldError, html, resolveField } from "../components.js";
import { useApp } from "../context.js";
import { t } from "../i18n.js";
import { scopeText } from "../summary.js";
import { AdminListHead, DeleteConfirm, useAdminList } from "./admin-list.js";

/** The account's secret names for a picker ([] when they cannot be read: the picker then takes a typed name). */
export function useSecretNames() {
  const [names, setNames] = useState([]);
  useEffect(() => {
    api("GET", "/secrets").then((answer) => setNames(answer.secrets.map((s) => s.name))).catch(() => setNames([]));
  }, []);
  return names;
}

/** A select of the account's secret names (the current one kept even if it is gone). */
export function SecretPicker({ value, names, onChange, label, name, allowNone }) {
  const all = value && !names.includes(value) ? [value, ...names] : names;
  return html`<select name=${name} aria-label=${label} value=${value || ""} onChange=${(e) => onChange(e.target.value)}>
    ${allowNone || !value ? html`<option value="">${allowNone ? t("secret.none") : t("secret.pick")}</option>` : ""}
    ${all.map((n) => html`<option value=${n}>${n}</option>`)}</select>`;
}

const headerRows = (headers) => Object.entries(headers || {}).map(([name, v]) => (typeof v === "string"
  ? { name, kind: "value", value: v, secret: "", prefix: "" }
  : { name, kind: "secret", value: "", secret: v.secret, prefix: v.prefix || "" }));

function headersBody(rows) {
  const out = {};
  for (const r of rows) {
    if (!r.name.trim()) continue;
    out[r.name.trim()] = r.kind === "secret" ? { secret: r.secret, ...(r.prefix ? { prefix: r.prefix } : {}) } : r.value;
  }
  return out;
}

const toolList = (text) => text.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

function ServerDialog({ server, teams, onClose, onSaved }) {
  const editing = Boolean(server.id);
  const secrets = useSecretNames();
  const [name, setName] = useState(server.name || "");
  const [team, setTeam] = useState(String(server.team_id || 0));
  const [url, setUrl] = useState(server.url || "");
  const [rows, setRows] = useState(headerRows(server.headers));
  const [limited, setLimited] = useState(Array.isArray(server.allowed_tools));
  const [tools, setTools] = useState((server.allowed_tools || []).join(", "));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const setRow = (i, patch) => setRows(rows.map((r, j) => (i === j ? { ...r, ...patch } : r)));
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = { name: name.trim(), team_id: Number(team), url: url.trim(), headers: headersBody(rows),
      allowed_tools: limited ? toolList(tools) : null };
    try {
      await (editing ? api("PUT", `/mcp-servers/${encodeURIComponent(server.id)}`, { body }) : api("POST", "/mcp-servers", { body }));
      onSaved();
    } catch (err) { setError(err); setBusy(false); }
  };
  const known = new Set(["name", "team_id", "url", "headers", "allowed_tools",
    ...rows.filter((r) => r.name.trim()).map((r) => `headers.${r.name.trim()}`)]);
  const at = error?.field ? resolveField(error.field, known) : null;
  const err = (path) => html`<${FieldError} error=${error} at=${at} path=${path} />`;
  return html`<${Dialog} title=${editing ? t("mcp.editTitle", { name: server.name }) : t("mcp.new")} onClose=${busy ? null : onClose}
    wide labelId="mcp-dialog-title" footer=${html`
      <button type="button" class="btn" onClick=${onClose} disabled=${busy}>${t("cancel")}</button>
      <button type="submit" form="mcp-form" class="btn primary" disabled=${busy || !name.trim() || !url.trim()}>
        ${busy ? t("saving") : editing ? t("form.save") : t("mcp.add")}</button>`}>
    <form id="mcp-form" onSubmit=${save}>
      <div class="two">
        <label>${t("col.name")}<input name="name" value=${name} maxlength="255" required placeholder="grafana"
          onInput=${(e) => setName(e.target.value)} />${err("name")}</label>
        <label>${t("form.scope")}<select name="team_id" value=${team} onChange=${(e) => setTeam(e.target.value)}>
          <option value="0">${t("integration.accountWide")}</option>
          ${teams.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select>
          <span class="hint">${t("mcp.scopeHint")}</span>${err("team_id")}</label>
      </div>
      <label>${t("mcp.url")}<input name="url" type="url" value=${url} required placeholder="https://mcp.example.com/mcp"
        onInput=${(e) => setUrl(e.target.value)} /><span class="hint">${t("mcp.urlHint")}</span>${err("url")}</label>
      <fieldset class="header-rows"><legend>${t("mcp.headers")}</legend>
        ${rows.map((r, i) => html`<div class="header-row" data-header=${i}>
          <input name=${`header-name-${i}`} aria-label=${t("mcp.headerName")} placeholder=${t("mcp.headerName")} value=${r.name}
            onInput=${(e) => setRow(i, { name: e.target.value })} />
          <select name=${`header-kind-${i}`} aria-label=${t("mcp.headerKind")} value=${r.kind} onChange=${(e) => setRow(i, { kind: e.target.value })}>
            <option value="value">${t("mcp.kindValue")}</option><option value="secret">${t("mcp.kindSecret")}</option></select>
          ${r.kind === "value" ? html`<input name=${`header-value-${i}`} aria-label=${t("mcp.headerValue")} placeholder=${t("mcp.headerValue")}
              value=${r.value} onInput=${(e) => setRow(i, { value: e.target.value })} />`
            : html`<span class="secret-value"><input name=${`header-prefix-${i}`} class="prefix" aria-label=${t("mcp.prefix")}
                placeholder=${t("mcp.prefixPlaceholder")} value=${r.prefix} onInput=${(e) => setRow(i, { prefix: e.target.value })} />
              <${SecretPicker} name=${`header-secret-${i}`} label=${t("mcp.headerSecret")} value=${r.secret} names=${secrets}
                onChange=${(v) => setRow(i, { secret: v })} /></span>`}
          <button type="button" class="icon-btn" aria-label=${t("mcp.removeHeader")} onClick=${() => setRows(rows.filter((_, j) => j !== i))}>×</button>
          ${r.name.trim() ? err(`headers.${r.name.trim()}`) : ""}
        </div>`)}
        <button type="button" class="btn small" onClick=${() => setRows([...rows, { name: "", kind: "value", value: "", secret: "", prefix: "" }])}>
          ${t("mcp.addHeader")}</button>
        <span class="hint">${t("mcp.headersHint")}</span>${err("headers")}
      </fieldset>
      <label class="check"><input type="checkbox" name="limit-tools" checked=${limited} onChange=${(e) => setLimited(e.target.checked)} />
        ${t("mcp.limitTools")}</label>
      ${limited ? html`<label>${t("mcp.allowedTools")}<input name="allowed_tools" value=${tools} placeholder="search_dashboards, query_prometheus"
        onInput=${(e) => setTools(e.target.value)} /><span class="hint">${t("mcp.allowedHint")}</span></label>` : ""}
      ${err("allowed_tools")}
      ${error && !at ? html`<${ErrorBox} error=${error} />` : ""}
    </form>
  <//>`;
}

function TestResult({ result }) {
  if (result.busy) return html`<div class="mcp-test" data-testid="mcp-test"><span class="spinner"></span>${t("mcp.testing")}</div>`;
  if (result.error) return html`<div class="mcp-test" data-testid="mcp-test"><${ErrorBox} error=${result.error} /></div>`;
  const a = result.answer;
  if (!a.ok) {
    return html`<div class="mcp-test failed" data-testid="mcp-test" role="alert"><strong>${t("mcp.testFailed")}</strong>
      <span class="muted"> (${Math.round(a.elapsed_ms)} ms)</span><div class="error-message" data-testid="mcp-test-error">${a.error}</div></div>`;
  }
  return html`<div class="mcp-test passed" data-testid="mcp-test"><strong class="ok">${t("mcp.testOk", { count: a.tools.length })}</strong>
    <span class="muted"> (${Math.round(a.elapsed_ms)} ms)</span>
    ${a.tools.length ? html`<table class="table compact"><thead><tr><th>${t("mcp.tool")}</th><th>${t("mcp.description")}</th><th>${t("mcp.offered")}</th></tr></thead>
      <tbody>${a.tools.map((tool) => html`<tr data-tool=${tool.name}><td class="mono">${tool.name}</td><td>${tool.description || ""}</td>
        <td>${tool.allowed ? t("mcp.yes") : html`<span class="muted">${t("mcp.notAllowed")}</span>`}</td></tr>`)}</tbody></table>` : ""}</div>`;
}

function headersText(headers) {
  const entries = Object.entries(headers || {});
  if (!entries.length) return html`<span class="muted">—</span>`;
  return entries.map(([name, v]) => html`<div class="sub mono header-line">${name}: ${typeof v === "string" ? v
    : html`<span class="secret-ref" title=${t("mcp.kindSecret")}>${v.prefix || ""}{secret.${v.secret}}</span>`}</div>`);
}

export function McpServersPage() {
  const { me, teams } = useApp();
  const admin = ["owner", "admin"].includes(me.user.role);
  const state = useAdminList("/mcp-servers", "mcp_servers");
  const { list, editing, setEditing, setDeleting, load } = state;
  const [tests, setTests] = useState({}); // id -> {busy} | {answer} | {error}
  const test = async (server) => {
    setTests((now) => ({ ...now, [server.id]: { busy: true } }));
    let result;
    try { result = { answer: await api("POST", `/mcp-servers/${encodeURIComponent(server.id)}/test`) }; } catch (err) { result = { error: err }; }
    setTests((now) => ({ ...now, [server.id]: result }));
  };
  const columns = admin ? 6 : 5;
  return html`<section class="mcp-servers">
    <${AdminListHead} strings="mcp" admin=${admin} state=${state} />
    ${list && list.length ? html`<div class="table-wrap"><table class="table mcp-table stack">
      <thead><tr><th>${t("col.name")}</th><th>${t("col.scope")}</th><th>${t("mcp.url")}</th><th>${t("mcp.headers")}</th>
        <th>${t("mcp.allowedTools")}</th>${admin ? html`<th>${t("col.actions")}</th>` : ""}</tr></thead>
      <tbody>${list.map((s) => html`<tr key=${s.id} data-mcp-server=${s.id}>
          <td data-label=${t("col.name")}><strong class="mcp-name">${s.name}</strong></td>
          <td data-label=${t("col.scope")}>${s.team_id ? scopeText(s.team_id, teams) : t("integration.accountWide")}</td>
          <td class="url-cell" data-label=${t("mcp.url")}><code class="mono">${s.url}</code></td>
          <td data-label=${t("mcp.headers")}>${headersText(s.headers)}</td>
          <td data-label=${t("mcp.allowedTools")}>${Array.isArray(s.allowed_tools)
            ? s.allowed_tools.map((x) => html`<span class="badge mono tool-badge">${x}</span>`) : html`<span class="muted">${t("mcp.allTools")}</span>`}</td>
          ${admin ? html`<td class="row-actions" data-label=${t("col.actions")}>
            <button type="button" class="btn small" onClick=${() => test(s)} disabled=${tests[s.id]?.busy}>${t("mcp.test")}</button>
            <button type="button" class="btn small" onClick=${() => setEditing(s)}>${t("mcp.edit")}</button>
            <button type="button" class="btn small danger-text" onClick=${() => setDeleting(s)}>${t("list.delete")}</button></td>` : ""}
        </tr>
        ${tests[s.id] ? html`<tr class="detail-row"><td colspan=${columns}><${TestResult} result=${tests[s.id]} /></td></tr>` : ""}`)}</tbody>
    </table></div>` : ""}
    ${editing ? html`<${ServerDialog} key=${editing.id || "new"} server=${editing} teams=${teams} onClose=${() => setEditing(null)}
      onSaved=${() => { setEditing(null); load(); }} />` : ""}
    <${DeleteConfirm} strings="mcp" state=${state} />
  </section>`;
}
