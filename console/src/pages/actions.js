// The actions of the form: notifications, webhooks and the control actions, each with the run
// outcomes that fire it. Settings the console does not know are kept as they are.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { html } from "../components.js";
import { useApp } from "../context.js";
import { t } from "../i18n.js";
import { Pairs } from "./triggers.js";

const OUTCOMES = ["succeeded", "partial", "failed", "skipped", "abandoned", "triggered"];
// kind: text | template (multi-line) | secret | select | list (comma-separated) | json | pairs | automation
export const ACTION_TYPES = {
  webhook: [["url", "text", "https://example.com/hook"], ["method", "select", ["POST", "PUT", "PATCH", "GET", "DELETE"]],
    ["payload", "json", '{"text": "{automation.name}: {message}"}'], ["headers", "pairs"]],
  slack: [["webhook_url_secret", "secret"], ["message", "template", "{automation.name}: {message}"]],
  teams: [["webhook_url_secret", "secret"], ["title", "text"], ["message", "template"]],
  email: [["to_emails", "list", "oncall@example.com, sre@example.com"], ["subject", "text"], ["body", "template"]],
  twilio: [["account_sid", "text", "AC…"], ["auth_token_secret", "secret"], ["messaging_service_sid", "text", "MG…"],
    ["phone_numbers", "list", "+15551234567"], ["message", "template"]],
  pagerduty: [["routing_key_secret", "secret"], ["severity", "select", ["error", "critical", "warning", "info"]], ["summary", "template"]],
  run_automation: [["automation_id", "automation"], ["text", "template", "{message}"]],
  cancel_run: [["run_id", "text", "{run.id}"], ["reason", "template"]],
  pause_automation: [["automation_id", "automation-optional"], ["reason", "template"]],
  resume_automation: [["automation_id", "automation-optional"], ["reason", "template"]],
};

export const actionFields = (type) => ["type", "on", "retries", ...(ACTION_TYPES[type] || []).map(([key]) => key)];

/** An action as the API returns it, as the form edits it (list, JSON and pair settings as text). */
export function actionToForm(action) {
  const raw = {};
  for (const [key, kind] of ACTION_TYPES[action.type] || []) {
    const value = action[key];
    if (kind === "list") raw[key] = (value || []).join(", ");
    if (kind === "json") raw[key] = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value, null, 2);
    if (kind === "pairs") raw[key] = Object.entries(value || {});
  }
  return { ...action, __raw: raw };
}

/** The form's action as the API takes it: empty settings left out. */
export function actionToApi(action) {
  const { __raw: raw = {}, ...out } = action;
  for (const [key, kind] of ACTION_TYPES[action.type] || []) {
    if (kind === "list") out[key] = String(raw[key] || "").split(",").map((x) => x.trim()).filter(Boolean);
    if (kind === "json") {
      const text = String(raw[key] || "").trim();
      let value = text;
      try { const parsed = JSON.parse(text); if (parsed && typeof parsed === "object") value = parsed; } catch { /* a template string */ }
      out[key] = text ? value : undefined;
    }
    if (kind === "pairs") {
      const rows = (raw[key] || []).filter(([k]) => k.trim());
      out[key] = rows.length ? Object.fromEntries(rows.map(([k, v]) => [k.trim(), v])) : undefined;
    }
    if (out[key] === "" || out[key] === undefined || (Array.isArray(out[key]) && !out[key].length && kind !== "list")) delete out[key];
  }
  if (out.retries === "" || out.retries === undefined || out.retries === null) delete out.retries;
  else out.retries = Number(out.retries);
  return out;
}

function useChoices(needed) {
  const [secretNames, setSecrets] = useState([]);
  const [automations, setAutomations] = useState([]);
  useEffect(() => {
    if (needed.secret) api("GET", "/secrets").then((a) => setSecrets(a.secrets.map((s) => s.name))).catch(() => {});
  }, [needed.secret]);
  useEffect(() => {
    if (needed.automation) api("GET", "/automations", { query: { limit: 200 } }).then((a) => setAutomations(a.automations)).catch(() => {});
  }, [needed.automation]);
  return { secretNames, automations };
}

function Setting({ action, spec, where, set, setRaw, err, choices, selfId }) {
  const [key, kind, extra] = spec;
  const label = t(`action.field.${key}`);
  const path = `${where}.${key}`;
  const raw = action.__raw || {};
  let input;
  if (kind === "select") {
    input = html`<select name=${path} value=${action[key] ?? extra[0]} onChange=${(e) => set({ [key]: e.target.value })}>
      ${extra.map((o) => html`<option value=${o}>${o}</option>`)}</select>`;
  } else if (kind === "template") {
    input = html`<textarea name=${path} rows="3" value=${action[key] ?? ""} placeholder=${extra || ""}
      onInput=${(e) => set({ [key]: e.target.value })}></textarea>`;
  } else if (kind === "json") {
    input = html`<textarea name=${path} rows="4" class="mono" value=${raw[key] ?? ""} placeholder=${extra}
      onInput=${(e) => setRaw({ [key]: e.target.value })}></textarea>`;
  } else if (kind === "list") {
    input = html`<input name=${path} value=${raw[key] ?? ""} placeholder=${extra} onInput=${(e) => setRaw({ [key]: e.target.value })} />`;
  } else if (kind === "pairs") {
    return html`<div class="setting wide"><${Pairs} label=${label} rows=${raw[key] || []} onChange=${(rows) => setRaw({ [key]: rows })}
      keyHint="X-Header" valueHint="{run.id}" name=${path} />${err(path)}</div>`;
  } else if (kind.startsWith("automation")) {
    const known = choices.automations.filter((a) => a.id !== selfId || kind === "automation-optional");
    const value = action[key] ?? "";
    input = html`<select name=${path} value=${value} onChange=${(e) => set({ [key]: e.target.value || undefined })}>
      <option value="">${kind === "automation" ? t("action.pickAutomation") : t("action.eventAutomation")}</option>
      ${value && !known.some((a) => a.id === value) ? html`<option value=${value}>${value}</option>` : ""}
      ${known.map((a) => html`<option value=${a.id}>${a.name} (${a.id})</option>`)}</select>`;
  } else {
    const list = kind === "secret" ? `secrets-${where}` : undefined;
    input = html`<input name=${path} value=${action[key] ?? ""} placeholder=${extra || (kind === "secret" ? "slack-oncall" : "")}
      list=${list} onInput=${(e) => set({ [key]: e.target.value })} />
      ${list ? html`<datalist id=${list}>${choices.secretNames.map((n) => html`<option value=${n} />`)}</datalist>` : ""}`;
  }
  const hint = kind === "secret" ? t("action.secretHint") : kind === "template" || key === "payload" ? t("action.templateHint") : "";
  return html`<label class=${`setting${["template", "json"].includes(kind) ? " wide" : ""}`}>${label}${input}
    ${hint ? html`<span class="hint">${hint}</span>` : ""}${err(path)}</label>`;
}

export function ActionRows({ actions, setActions, err, hasEvent, selfId }) {
  const [adding, setAdding] = useState("");
  const choices = useChoices({
    secret: actions.some((a) => (ACTION_TYPES[a.type] || []).some(([, kind]) => kind === "secret")),
    automation: actions.some((a) => (ACTION_TYPES[a.type] || []).some(([, kind]) => kind.startsWith("automation"))),
  });
  const update = (i, patch) => setActions(actions.map((a, k) => (k === i ? { ...a, ...patch } : a)));
  const add = (type) => {
    setAdding("");
    if (type) setActions([...actions, { type, on: hasEvent ? ["triggered"] : ["failed"], __raw: {} }]);
  };
  return html`<section class="form-section" data-section="actions">
    <div class="section-head"><h2>${t("form.actions")}</h2>
      <select value=${adding} aria-label=${t("action.add")} onChange=${(e) => add(e.target.value)} name="add-action">
        <option value="">${t("action.add")}</option>
        ${Object.keys(ACTION_TYPES).map((type) => html`<option value=${type}>${t(`action.kind.${type}`)}</option>`)}
      </select></div>
    <p class="hint">${t("action.hint")}</p>
    ${err("actions")}
    ${actions.map((action, i) => {
      const where = `actions[${i}]`;
      const on = action.on || ["failed"];
      return html`<div class="action-row card" data-action=${action.type}>
        <div class="row-head"><strong>${t(`action.kind.${action.type}`)}</strong>
          <button type="button" class="icon-btn" aria-label=${t("action.remove", { kind: t(`action.kind.${action.type}`) })}
            onClick=${() => setActions(actions.filter((_, k) => k !== i))}>×</button></div>
        ${err(where)}${err(`${where}.type`)}
        <fieldset class="outcomes"><legend>${t("action.on")}</legend>
          ${OUTCOMES.filter((o) => o !== "triggered" || hasEvent || on.includes(o)).map((o) => html`<label class="check">
            <input type="checkbox" name=${`${where}.on.${o}`} checked=${on.includes(o)}
              onChange=${(e) => update(i, { on: e.target.checked ? [...on, o] : on.filter((x) => x !== o) })} />${t(`outcome.${o}`)}</label>`)}
          ${err(`${where}.on`)}</fieldset>
        <div class="settings">
          ${(ACTION_TYPES[action.type] || []).map((spec) => html`<${Setting} action=${action} spec=${spec} where=${where} err=${err}
            choices=${choices} selfId=${selfId} set=${(patch) => update(i, patch)}
            setRaw=${(patch) => update(i, { __raw: { ...(action.__raw || {}), ...patch } })} />`)}
          <label class="setting narrow">${t("action.field.retries")}<input type="number" min="0" max="10" name=${`${where}.retries`}
            value=${action.retries ?? ""} placeholder="3" onInput=${(e) => update(i, { retries: e.target.value })} />${err(`${where}.retries`)}</label>
        </div>
      </div>`;
    })}
  </section>`;
}
