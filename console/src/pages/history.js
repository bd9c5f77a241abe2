// /ai-sre/automations/:ruleId/history: the rule's runs, newest first, with time-range and status
// filters and "load more"; runs still going refresh their status by themselves.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api.js";
import { durationText, ErrorBox, FINAL, html, Loading, StatusBadge, Time } from "../components.js";
import { t } from "../i18n.js";
import { href, navigate } from "../router.js";
import { environmentText } from "../summary.js";
import { useApp } from "../context.js";
import { ListFoot, usePaged } from "../paged.js";

export const RUN_STATUSES = ["running", "retrying", "succeeded", "partial", "failed", "skipped", "abandoned"];
const RANGES = [1, 7, 30, 90, 180];
const DAY = 86400e3;
const MAX_DAYS = 180;

const dateInput = (ms) => new Date(ms).toISOString().slice(0, 10);

/** The window of a range choice: {since, until} in ISO, or {error} for one the API would refuse. */
function windowOf(range, from, to) {
  const now = Date.now();
  if (range !== "custom") return { since: new Date(now - Number(range) * DAY).toISOString(), until: new Date(now).toISOString() };
  const since = Date.parse(`${from}T00:00:00`);
  const until = Date.parse(`${to}T23:59:59`);
  if (Number.isNaN(since) || Number.isNaN(until)) return { error: t("history.pickDates") };
  if (since > until) return { error: t("history.fromAfterTo") };
  if (until - since > MAX_DAYS * DAY) return { error: t("history.tooLong") };
  return { since: new Date(since).toISOString(), until: new Date(until).toISOString() };
}

export function HistoryPage({ id }) {
  const { runners } = useApp();
  const [rule, setRule] = useState(null);
  const [range, setRange] = useState("30");
  const [from, setFrom] = useState(dateInput(Date.now() - 30 * DAY));
  const [to, setTo] = useState(dateInput(Date.now()));
  const [status, setStatus] = useState("all");
  const [loadError, setLoadError] = useState(null);
  const win = windowOf(range, from, to);
  useEffect(() => {
    api("GET", `/automations/${encodeURIComponent(id)}`).then((a) => setRule(a.automation)).catch(setLoadError);
  }, [id]);
  const paged = usePaged(async (cursor) => {
    const answer = await api("GET", `/automations/${encodeURIComponent(id)}/runs`,
      { query: { since: win.since, until: win.until, status, limit: 50, cursor } });
    return [answer.runs, answer.next_cursor];
  }, [rule, range, from, to, status], Boolean(rule?.can_edit) && !win.error);
  const { items: runs, setItems: setRuns } = paged;
  const error = loadError || paged.error;
  const runsRef = useRef([]);
  runsRef.current = runs || [];
  // Runs still going are read again until they end.
  useEffect(() => {
    if (!rule?.can_edit) return undefined;
    const timer = setInterval(async () => {
      const going = runsRef.current.filter((r) => !FINAL.includes(r.status));
      if (!going.length) return;
      const fresh = await Promise.all(going.map((r) => api("GET", `/runs/${encodeURIComponent(r.id)}`).then((a) => a.run).catch(() => r)));
      const byId = Object.fromEntries(fresh.map((r) => [r.id, r]));
      setRuns((now) => now && now.map((r) => byId[r.id] || r));
    }, 2000);
    return () => clearInterval(timer);
  }, [rule]);

  if (loadError) {
    return html`<section><p class="crumbs"><a data-route href=${href("/automations")}>← ${t("nav.automations")}</a></p>
      <h1>${t("history.title")}</h1><${ErrorBox} error=${loadError} /></section>`;
  }
  if (!rule) return html`<${Loading} />`;
  const head = html`<p class="crumbs"><a data-route href=${href("/automations")}>← ${t("nav.automations")}</a></p>
    <h1>${t("history.title")}</h1><p class="muted subtitle">${rule.name}</p>`;
  if (!rule.can_edit) return html`<section>${head}<div class="banner read-only-banner" role="note">${t("history.readOnly")}</div></section>`;
  return html`<section>${head}
    <div class="filters">
      <label>${t("history.range")}<select name="range" value=${range} onChange=${(e) => setRange(e.target.value)}>
        ${RANGES.map((d) => html`<option value=${d}>${t("history.lastDays", { days: d })}</option>`)}
        <option value="custom">${t("history.custom")}</option></select></label>
      ${range === "custom" ? html`<label>${t("history.from")}<input type="date" name="from" value=${from} onChange=${(e) => setFrom(e.target.value)} /></label>
        <label>${t("history.to")}<input type="date" name="to" value=${to} onChange=${(e) => setTo(e.target.value)} /></label>` : ""}
      <label>${t("filter.status")}<select name="status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
        <option value="all">${t("filter.allStatuses")}</option>
        ${RUN_STATUSES.map((s) => html`<option value=${s}>${s} · ${t(`status.${s}`)}</option>`)}</select></label>
      <button type="button" class="btn" onClick=${paged.load} disabled=${Boolean(win.error)}>${t("refresh")}</button>
    </div>
    ${win.error ? html`<div class="field-error" role="alert" data-testid="range-error">${win.error}</div>` : ""}
    <${ErrorBox} error=${error} retry=${paged.load} />
    ${!win.error && runs === null && !error ? html`<${Loading} />` : ""}
    ${runs && runs.length === 0 ? html`<div class="empty card"><p>${t("history.empty")}</p></div>` : ""}
    ${runs && runs.length ? html`<div class="table-wrap"><table class="table runs">
      <thead><tr><th>${t("col.startedAt")}</th><th>${t("col.duration")}</th><th>${t("col.status")}</th></tr></thead>
      <tbody>${runs.map((run) => html`<tr data-run=${run.id} class=${run.session_id ? "clickable" : ""} tabindex=${run.session_id ? 0 : -1}
        title=${run.session_id ? t("history.open") : t("history.noSession")}
        onClick=${() => run.session_id && navigate(`/chat?session_id=${encodeURIComponent(run.session_id)}`)}
        onKeyDown=${(e) => { if (e.key === "Enter" && run.session_id) navigate(`/chat?session_id=${encodeURIComponent(run.session_id)}`); }}>
        <td>${run.started_at ? html`<${Time} value=${run.started_at} />` : html`<span class="muted">${t("history.notStarted")}</span>`}
          <div class="sub">${t(`trigger.of.${run.trigger}`)}${run.attempt > 1 ? ` · ${t("run.attempt", { n: run.attempt })}` : ""}</div></td>
        <td>${durationText(run.duration_ms)}</td>
        <td><${StatusBadge} status=${run.status} />
          ${run.reason ? html`<div class="sub reason">${run.reason}</div>` : ""}
          ${run.environment ? html`<div class="sub" data-environment>${environmentText(run.environment, runners)}</div>` : ""}</td>
      </tr>`)}</tbody></table></div>
      <${ListFoot} paged=${paged} countKey="history.count" />` : ""}
  </section>`;
}
