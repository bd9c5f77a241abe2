// The automation form: create, edit, and the read-only view. Every field of the product document,
// the triggers and actions, the API's per-field errors at the field they name, and Test.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, FieldError, html, Loading, resolveField } from "../components.js";
import { useApp } from "../context.js";
import { RichEditor } from "../editor.js";
import { lang, t } from "../i18n.js";
import { href, navigate } from "../router.js";
import { actionFields, actionToApi, actionToForm, ActionRows } from "./actions.js";
import { pausedText } from "./automations.js";
import { AgentPicker, fitsScope, McpPicker, useAgentChoices } from "./agent-choices.js";
import { TestPanel } from "./test-panel.js";
import { TRIGGER_FIELDS, TriggerRows, triggerToApi, triggerToForm } from "./triggers.js";

const TOP = ["name", "team_id", "environment", "task_prompt", "triggers", "actions", "overlap", "enabled", "template_id",
  "agent_id", "mcp_server_ids"];

function blank() {
  return { name: "", team_id: 0, environment: { type: "auto" }, task_prompt: "", enabled: true, overlap: "skip",
    triggers: [], actions: [], template_id: null, agent_id: "", mcp_server_ids: [] };
}

function fromRule(rule) {
  return { name: rule.name, team_id: rule.team_id, environment: rule.environment || { type: "auto" },
    task_prompt: rule.task_prompt, enabled: rule.enabled, overlap: rule.overlap || "skip", template_id: rule.template_id,
    triggers: rule.triggers.map(triggerToForm), actions: (rule.actions || []).map(actionToForm),
    agent_id: rule.agent_id || "", mcp_server_ids: rule.mcp_server_ids || [] };
}

function body(form) {
  const out = { name: form.name, team_id: Number(form.team_id), environment: form.environment, task_prompt: form.task_prompt,
    enabled: form.enabled, overlap: form.overlap, triggers: form.triggers.map(triggerToApi), actions: form.actions.map(actionToApi),
    agent_id: form.agent_id || null, mcp_server_ids: form.mcp_server_ids };
  if (form.template_id) out.template_id = form.template_id;
  return out;
}

/** Every path the form can show an error at, for the current triggers and actions. */
function knownPaths(form) {
  const known = new Set([...TOP, "environment.runner_id", "environment.type"]);
  form.mcp_server_ids.forEach((_, i) => known.add(`mcp_server_ids[${i}]`));
  form.triggers.forEach((trig, i) => {
    known.add(`triggers[${i}]`);
    (TRIGGER_FIELDS[trig.type] || []).forEach((f) => known.add(`triggers[${i}].${f}`));
  });
  form.actions.forEach((action, i) => {
    known.add(`actions[${i}]`);
    actionFields(action.type).forEach((f) => known.add(`actions[${i}].${f}`));
  });
  return known;
}

function runnerFits(runner, teamId) {
  return runner && (runner.team_id === 0 || runner.team_id === Number(teamId));
}

export function AutomationForm({ id, templateId }) {
  const { me, teams, runners, showTrigger } = useApp();
  const [rule, setRule] = useState(null);
  const [form, setForm] = useState(id ? null : blank());
  const [loadError, setLoadError] = useState(null);
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState(null);
  const [dirty, setDirty] = useState(false);
  const choices = useAgentChoices();

  const load = async () => {
    setLoadError(null);
    try {
      if (id) {
        const answer = await api("GET", `/automations/${encodeURIComponent(id)}`);
        setRule(answer.automation);
        setForm(fromRule(answer.automation));
      } else if (templateId) {
        const answer = await api("GET", "/automation-templates", { query: { locale: lang() } });
        const tpl = answer.templates.find((x) => x.id === templateId);
        if (tpl) setForm({ ...blank(), name: tpl.name, task_prompt: tpl.task_prompt, template_id: tpl.id });
        else setNotice(t("form.templateMissing", { id: templateId }));
      }
    } catch (err) { setLoadError(err); }
  };
  useEffect(() => { load(); }, [id, templateId]);

  const update = (patch) => { setForm((now) => ({ ...now, ...patch })); setDirty(true); };
  const readOnly = Boolean(rule && !rule.can_edit);
  const known = useMemo(() => (form ? knownPaths(form) : new Set()), [form]);
  const at = error?.field ? resolveField(error.field, known) : null;
  const err = (path) => html`<${FieldError} error=${error} at=${at} path=${path} />`;
  useEffect(() => { if (error) document.querySelector(".field-error, .form-error")?.scrollIntoView?.({ block: "center" }); }, [error]);

  if (loadError) return html`<${ErrorBox} error=${loadError} retry=${load} />`;
  if (!form) return html`<${Loading} />`;

  const myTeams = me.teams.map((team) => ({ ...team }));
  if (form.team_id && !myTeams.some((team) => team.id === Number(form.team_id))) {
    myTeams.push(teams.find((team) => team.id === Number(form.team_id)) || { id: Number(form.team_id), name: t("scope.teamN", { id: form.team_id }) });
  }
  const fitting = runners.filter((r) => runnerFits(r, form.team_id));
  const env = form.environment;
  const envValue = env.type === "runner" ? `runner:${env.runner_id}` : env.type;
  const changeScope = (value) => {
    const teamId = Number(value);
    const patch = { team_id: teamId };
    const agent = choices.agents?.find((a) => a.id === form.agent_id);
    if (agent && !fitsScope(agent, teamId)) {
      patch.agent_id = "";
      setNotice(t("form.agentCleared", { name: agent.name }));
    }
    const dropped = (choices.servers || []).filter((x) => form.mcp_server_ids.includes(x.id) && !fitsScope(x, teamId));
    if (dropped.length) {
      patch.mcp_server_ids = form.mcp_server_ids.filter((id) => !dropped.some((x) => x.id === id));
      setNotice(t("form.mcpCleared", { names: dropped.map((x) => x.name).join(", ") }));
    }
    if (env.type === "runner" && !runnerFits(runners.find((r) => r.id === env.runner_id), teamId)) {
      const name = runners.find((r) => r.id === env.runner_id)?.name || env.runner_id;
      patch.environment = { type: "auto" };
      setNotice(t("form.runnerCleared", { name }));
    }
    update(patch);
  };
  const changeEnv = (value) => {
    setNotice(null);
    update({ environment: value.startsWith("runner:") ? { type: "runner", runner_id: value.slice(7) } : { type: value } });
  };

  const save = async (e) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const answer = id ? await api("PATCH", `/automations/${encodeURIComponent(id)}`, { body: body(form) })
        : await api("POST", "/automations", { body: { ...body(form), locale: lang() } }); // builtin reports in the UI language
      setDirty(false);
      if (answer.api_trigger) showTrigger({ automationId: answer.automation.id, ...answer.api_trigger });
      navigate("/automations");
    } catch (err) {
      setError(err);
      setSaving(false);
    }
  };

  const title = !id ? t("form.newTitle") : readOnly ? rule.name : t("form.editTitle");
  const hasEvent = form.triggers.some((x) => x.type === "event");
  return html`<section class="automation-form">
    <p class="crumbs"><a data-route href=${href("/automations")}>← ${t("nav.automations")}</a></p>
    <h1>${title}</h1>
    ${readOnly ? html`<div class="banner read-only-banner" role="note">${t("readOnly.banner")}</div>` : ""}
    ${rule?.paused ? html`<div class="banner paused-banner" data-paused>${t("paused.label")} · ${pausedText(rule.paused)}
      ${rule.paused.at ? html` <span class="muted">(${rule.paused.at})</span>` : ""}</div>` : ""}
    ${notice ? html`<div class="banner notice" role="status">${notice}</div>` : ""}
    <form onSubmit=${save} novalidate>
      <fieldset disabled=${readOnly || saving} class="plain">
        <section class="form-section">
          <label for="f-name" class="required">${t("form.name")}</label>
          <input id="f-name" name="name" value=${form.name} maxlength="255" placeholder=${t("form.namePlaceholder")}
            onInput=${(e) => update({ name: e.target.value })} aria-invalid=${at === "name"} />
          <span class="hint counter">${form.name.length}/255</span>
          ${err("name")}
          <div class="two">
            <div><label for="f-scope" class="required">${t("form.scope")}</label>
              <select id="f-scope" name="team_id" value=${form.team_id} onChange=${(e) => changeScope(e.target.value)}>
                <option value="0">${t("scope.personal")}</option>
                ${myTeams.map((team) => html`<option value=${team.id}>${team.name}</option>`)}</select>
              <span class="hint">${t("form.scopeHint")}</span>${err("team_id")}</div>
            <div><label for="f-env">${t("form.environment")}</label>
              <select id="f-env" name="environment" value=${envValue} onChange=${(e) => changeEnv(e.target.value)}>
                <option value="auto">${t("env.auto")}</option><option value="cloud_sandbox">${t("env.cloud_sandbox")}</option>
                ${fitting.length || env.type === "runner" ? html`<optgroup label=${t("env.runners")}>
                  ${env.type === "runner" && !fitting.some((r) => r.id === env.runner_id) ? html`<option value=${envValue}>${env.runner_id}</option>` : ""}
                  ${fitting.map((r) => html`<option value=${`runner:${r.id}`}>${r.name}${r.team_id ? "" : ` · ${t("env.global")}`}</option>`)}
                </optgroup>` : ""}</select>
              <span class="hint">${t(`env.hint.${env.type}`)}</span>${err("environment")}</div>
          </div>
          <div class="two agent-settings">
            <${AgentPicker} choices=${choices} form=${form} update=${update} err=${err} />
            <${McpPicker} choices=${choices} form=${form} update=${update} err=${err} />
          </div>
          <label class="required" id="f-prompt-label">${t("form.taskPrompt")}</label>
          <${RichEditor} id="f-prompt" value=${form.task_prompt} disabled=${readOnly} placeholder=${t("form.promptPlaceholder")}
            onChange=${(value) => update({ task_prompt: value })} invalid=${at === "task_prompt"} />
          <span class="hint">${t("form.promptHint")}</span>
          ${err("task_prompt")}
          <div class="two">
            <label class="check"><input type="checkbox" name="enabled" checked=${form.enabled}
              onChange=${(e) => update({ enabled: e.target.checked })} />${t("form.enabled")}</label>
            <label>${t("form.overlap")}<select name="overlap" value=${form.overlap} onChange=${(e) => update({ overlap: e.target.value })}>
              <option value="skip">${t("form.overlapSkip")}</option><option value="allow">${t("form.overlapAllow")}</option></select>
              ${err("overlap")}</label>
          </div>
        </section>
        <${TriggerRows} triggers=${form.triggers} setTriggers=${(triggers) => update({ triggers })} err=${err}
          automationId=${id} canRotate=${Boolean(rule?.can_edit) && !dirty} />
        <${ActionRows} actions=${form.actions} setActions=${(actions) => update({ actions })} err=${err} hasEvent=${hasEvent} selfId=${id} />
      </fieldset>
      ${error && !at ? html`<div class="form-error"><${ErrorBox} error=${error} /></div>` : ""}
      ${error && at ? html`<p class="form-error-note" role="status">${t("form.fixField")}</p>` : ""}
      <div class="form-foot">
        <a class="btn" data-route href=${href("/automations")}>${readOnly ? t("back") : t("cancel")}</a>
        ${readOnly ? "" : html`<button type="submit" class="btn primary" disabled=${saving}>${saving ? t("saving") : id ? t("form.save") : t("form.create")}</button>`}
      </div>
    </form>
    ${rule && rule.can_edit ? html`<${TestPanel} rule=${rule} dirty=${dirty} />` : ""}
  </section>`;
}
