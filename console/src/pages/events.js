// /ai-sre/events: recent events of the account (GET /events), filtered, newest first. Event
// contents are untrusted and shown as text only.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, html, Loading, PageHead, Time } from "../components.js";
import { t } from "../i18n.js";
import { ListFoot, usePaged } from "../paged.js";

const RANGES = [["1h", 3600e3], ["24h", 86400e3], ["7d", 7 * 86400e3], ["30d", 30 * 86400e3]];

export function EventsPage() {
  const [name, setName] = useState("");
  const [resource, setResource] = useState("");
  const [range, setRange] = useState("24h");
  const [applied, setApplied] = useState({ name: "", resource: "", range: "24h" });
  const paged = usePaged(async (cursor) => {
    const answer = await api("GET", "/events", { query: {
      event: applied.name || undefined, resource_id: applied.resource || undefined, limit: 50, cursor,
      since: new Date(Date.now() - RANGES.find(([k]) => k === applied.range)[1]).toISOString() } });
    return [answer.events, answer.next_cursor];
  }, [applied]);
  const { items: events, error } = paged;
  const apply = (e) => { e.preventDefault(); setApplied({ name: name.trim(), resource: resource.trim(), range }); };
  return html`<section>
    <${PageHead} title=${t("events.title")} subtitle=${t("events.subtitle")} />
    <form class="filters" onSubmit=${apply}>
      <label>${t("events.name")}<input name="event" value=${name} placeholder="incident.*" onInput=${(e) => setName(e.target.value)} /></label>
      <label>${t("events.resource")}<input name="resource_id" value=${resource} placeholder="inc-42" onInput=${(e) => setResource(e.target.value)} /></label>
      <label>${t("history.range")}<select name="range" value=${range} onChange=${(e) => setRange(e.target.value)}>
        ${RANGES.map(([k]) => html`<option value=${k}>${t(`events.range.${k}`)}</option>`)}</select></label>
      <button type="submit" class="btn primary">${t("events.apply")}</button>
    </form>
    <${ErrorBox} error=${error} retry=${paged.load} />
    ${events === null && !error ? html`<${Loading} />` : ""}
    ${events && events.length === 0 ? html`<div class="empty card"><p>${t("events.empty")}</p></div>` : ""}
    ${events && events.length ? html`<div class="table-wrap"><table class="table events">
      <thead><tr><th>${t("events.occurred")}</th><th>${t("events.event")}</th><th>${t("events.resourceCol")}</th><th>${t("events.details")}</th></tr></thead>
      <tbody>${events.map((ev) => html`<tr data-event=${ev.id}>
        <td><${Time} value=${ev.occurred} /></td><td class="mono">${ev.event}</td>
        <td><span class="mono">${ev.resource?.id}</span>
          <div class="sub">${Object.entries(ev.resource || {}).filter(([k]) => k !== "id").map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · ")}</div></td>
        <td><details><summary>${t("events.show")}</summary><pre class="mono">${JSON.stringify(ev, null, 2)}</pre></details></td>
      </tr>`)}</tbody></table></div>
      <${ListFoot} paged=${paged} countKey="events.count" />` : ""}
  </section>`;
}
