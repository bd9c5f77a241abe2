// /ai-sre/chat?session_id=…: a run's hidden session. Everything in it was written by the agent or
// an event and is untrusted: text goes in as text, Markdown is rendered and sanitised.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { durationText, ErrorBox, FINAL, html, Loading, StatusBadge, Time } from "../components.js";
import { useApp } from "../context.js";
import { t, tOr } from "../i18n.js";
import { href } from "../router.js";
import { environmentText } from "../summary.js";
import { Artifacts, Markdown } from "./artifacts.js";

const json = (value) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));

function RunFacts({ run, rule }) {
  const { runners } = useApp();
  return html`<div class="card run-facts" data-testid="run-facts">
    <div class="facts">
      <div><span class="label">${t("col.status")}</span><${StatusBadge} status=${run.status} /></div>
      <div><span class="label">${t("run.trigger")}</span>${t(`trigger.of.${run.trigger}`)} <span class="muted">(${run.trigger})</span></div>
      <div><span class="label">${t("col.startedAt")}</span><${Time} value=${run.started_at} /></div>
      <div><span class="label">${t("run.finishedAt")}</span><${Time} value=${run.finished_at} /></div>
      <div><span class="label">${t("col.duration")}</span>${durationText(run.duration_ms)}</div>
      ${run.scheduled_for ? html`<div><span class="label">${t("run.scheduledFor")}</span><${Time} value=${run.scheduled_for} /></div>` : ""}
      <div><span class="label">${t("run.attemptLabel")}</span>${run.attempt}</div>
      ${run.environment ? html`<div data-environment><span class="label">${t("col.environment")}</span>${environmentText(run.environment, runners)}</div>` : ""}
    </div>
    ${run.reason ? html`<p class="reason-line"><span class="label">${t("run.reason")}</span> <span class="reason">${run.reason}</span></p>` : ""}
    ${run.context && run.context.text !== undefined ? html`<div><span class="label">${t("run.context")}</span>
      <pre class="mono context">${run.context.text}</pre></div>` : ""}
    ${rule ? html`<p class="muted">${t("run.ofAutomation")} <a data-route href=${href(`/automations/${encodeURIComponent(rule.id)}/history`)}>${rule.name}</a></p>` : ""}
    ${(run.actions || []).length ? html`<h3>${t("run.actions")}</h3><table class="table compact actions-table">
      <thead><tr><th>#</th><th>${t("run.actionType")}</th><th>${t("run.outcome")}</th><th>${t("col.status")}</th><th>${t("run.attempts")}</th>
        <th>${t("run.code")}</th><th>${t("run.detail")}</th><th>${t("run.at")}</th></tr></thead>
      <tbody>${run.actions.map((a) => html`<tr data-action-status=${a.status}><td>${(a.index ?? 0) + 1}</td><td>${a.type}</td><td>${a.outcome}</td>
        <td><span class=${`badge action-${a.status}`}>${a.status}</span></td><td>${a.attempts ?? ""}</td><td>${a.code ?? ""}</td>
        <td class="detail">${a.error || a.detail || ""}</td><td><${Time} value=${a.at} /></td></tr>`)}</tbody></table>` : ""}
  </div>`;
}

export function ChatPage({ sessionId }) {
  const [session, setSession] = useState(null);
  const [run, setRun] = useState(null);
  const [rule, setRule] = useState(null);
  const [error, setError] = useState(null);
  const load = async () => {
    setError(null);
    try {
      const answer = await api("GET", `/sessions/${encodeURIComponent(sessionId)}`);
      setSession(answer.session);
      const [found, owner] = await Promise.all([
        api("GET", `/runs/${encodeURIComponent(answer.session.run_id)}`),
        api("GET", `/automations/${encodeURIComponent(answer.session.automation_id)}`).catch(() => null),
      ]);
      setRun(found.run);
      setRule(owner?.automation || null);
      return found.run;
    } catch (err) { setError(err); return null; }
  };
  useEffect(() => {
    if (!sessionId) return undefined;
    let timer;
    const tick = async () => {
      const now = await load();
      if (now && !FINAL.includes(now.status)) timer = setTimeout(tick, 2000);
    };
    tick();
    return () => clearTimeout(timer);
  }, [sessionId]);

  if (!sessionId) return html`<${ErrorBox} error=${{ message: t("chat.noSession") }} />`;
  if (error) return html`<section><h1>${t("chat.title")}</h1><${ErrorBox} error=${error} retry=${load} /></section>`;
  if (!session) return html`<${Loading} />`;
  const entries = [...session.messages.map((m) => ({ kind: "message", ...m })), ...session.tool_calls.map((c) => ({ kind: "tool", ...c }))]
    .map((e, i) => ({ ...e, order: i }))
    .sort((a, b) => (a.at || "").localeCompare(b.at || "") || a.order - b.order);
  return html`<section class="chat">
    <p class="crumbs">${rule ? html`<a data-route href=${href(`/automations/${encodeURIComponent(rule.id)}/history`)}>← ${t("chat.back")}</a>`
      : html`<a data-route href=${href("/automations")}>← ${t("nav.automations")}</a>`}</p>
    <h1>${t("chat.title")}</h1>
    <p class="muted mono">${t("chat.session")} ${session.id} · ${t("chat.hidden")}</p>
    ${run ? html`<${RunFacts} run=${run} rule=${rule} />` : html`<${Loading} />`}
    <h2>${t("chat.conversation")}</h2>
    ${entries.length === 0 ? html`<p class="muted">${t("chat.empty")}</p>` : ""}
    <div class="conversation">${entries.map((e) => (e.kind === "message" ? html`<div class=${`message role-${e.role}`} data-kind="message">
        <div class="message-head"><strong>${tOr(`role.msg.${e.role}`, e.role)}</strong> <span class="muted">${e.role}</span> · <${Time} value=${e.at} /></div>
        <${Markdown} text=${e.content} /></div>`
      : html`<details class="tool-call" data-kind="tool"><summary><span class="tool-name mono">${e.tool}</span> · <${Time} value=${e.at} /></summary>
        <div class="label">${t("chat.input")}</div><pre class="mono">${json(e.input)}</pre>
        <div class="label">${t("chat.output")}</div><pre class="mono">${json(e.output)}</pre></details>`))}</div>
    <h2>${t("chat.artifacts")}</h2>
    ${session.artifacts.length === 0 ? html`<p class="muted">${t("chat.noArtifacts")}</p>` : ""}
    <${Artifacts} artifacts=${session.artifacts} />
  </section>`;
}
