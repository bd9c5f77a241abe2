// The automation form's agent settings: which agent profile its runs use (the account's default, or a
// profile of its scope) and which MCP servers of its scope they may call.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { html } from "../components.js";
import { t } from "../i18n.js";
import { href } from "../router.js";

/** A profile or server an automation of team `teamId` may name: the account's, or its own team's. */
export const fitsScope = (item, teamId) => item.team_id === 0 || item.team_id === Number(teamId);

/** The profiles and servers the user sees ({agents: null, servers: null} until loaded; [] when they cannot be read). */
export function useAgentChoices() {
  const [choices, setChoices] = useState({ agents: null, servers: null });
  useEffect(() => {
    Promise.all([
      api("GET", "/agents").then((a) => a.agents).catch(() => []),
      api("GET", "/mcp-servers").then((a) => a.mcp_servers).catch(() => []),
    ]).then(([agents, servers]) => setChoices({ agents, servers }));
  }, []);
  return choices;
}

export function AgentPicker({ choices, form, update, err }) {
  const agents = choices.agents || [];
  const fitting = agents.filter((a) => fitsScope(a, form.team_id));
  const fallback = agents.find((a) => a.default);
  const unknown = form.agent_id && !fitting.some((a) => a.id === form.agent_id);
  const chosen = agents.find((a) => a.id === form.agent_id);
  const detail = (a) => (a.model ? `${t(`agents.backend.${a.backend}`)} · ${a.model}` : t(`agents.backend.${a.backend}`));
  return html`<div class="agent-picker"><label for="f-agent">${t("form.agent")}</label>
    <select id="f-agent" name="agent_id" value=${form.agent_id} onChange=${(e) => update({ agent_id: e.target.value })}>
      <option value="">${fallback ? t("form.agentDefaultNamed", { name: fallback.name }) : t("form.agentDefault")}</option>
      ${unknown ? html`<option value=${form.agent_id}>${chosen?.name || form.agent_id}</option>` : ""}
      ${fitting.map((a) => html`<option value=${a.id}>${a.name} (${detail(a)})</option>`)}</select>
    <span class="hint">${t("form.agentHint")} <a data-route href=${href("/agents")}>${t("nav.agents")}</a></span>${err("agent_id")}</div>`;
}

export function McpPicker({ choices, form, update, err }) {
  const servers = choices.servers || [];
  const chosen = new Set(form.mcp_server_ids);
  const fitting = servers.filter((x) => fitsScope(x, form.team_id) || chosen.has(x.id));
  const gone = form.mcp_server_ids.filter((id) => choices.servers && !servers.some((x) => x.id === id));
  const toggle = (id, on) => update({ mcp_server_ids: on ? [...form.mcp_server_ids, id] : form.mcp_server_ids.filter((x) => x !== id) });
  return html`<fieldset class="mcp-picker plain" data-testid="mcp-picker"><legend>${t("form.mcpServers")}</legend>
    ${choices.servers && !fitting.length && !gone.length ? html`<p class="muted">${t("form.mcpNone")}</p>` : ""}
    <div class="mcp-options">
      ${fitting.map((x) => html`<label class="check mcp-option" data-mcp-option=${x.id}>
        <input type="checkbox" name="mcp_server_ids" value=${x.id} checked=${chosen.has(x.id)} onChange=${(e) => toggle(x.id, e.target.checked)} />
        <span>${x.name} <span class="sub mono">${x.url}</span></span></label>`)}
      ${gone.map((id) => html`<label class="check mcp-option" data-mcp-option=${id}>
        <input type="checkbox" name="mcp_server_ids" value=${id} checked onChange=${() => toggle(id, false)} />
        <span class="mono">${id}</span> <span class="muted">${t("form.mcpGone")}</span></label>`)}
    </div>
    <span class="hint">${t("form.mcpHint")} <a data-route href=${href("/mcp-servers")}>${t("nav.mcp")}</a></span>
    ${err("mcp_server_ids")}${form.mcp_server_ids.map((_, i) => err(`mcp_server_ids[${i}]`))}</fieldset>`;
}
