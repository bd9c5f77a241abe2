// "Test": what each action would send for a sample outcome or event, without sending anything.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, html } from "../components.js";
import { t } from "../i18n.js";

const OUTCOMES = ["failed", "succeeded", "partial", "skipped", "abandoned"];
const SAMPLE = JSON.stringify({ event: "incident.triggered", resource: { id: "inc-1", severity: "critical", service: "api-gw" } }, null, 2);

export function TestPanel({ rule, dirty }) {
  const hasEvent = rule.triggers.some((x) => x.type === "event");
  const [kind, setKind] = useState(hasEvent ? "event" : "outcome");
  const [outcome, setOutcome] = useState("failed");
  const [event, setEvent] = useState(SAMPLE);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      let sample = { outcome };
      if (kind === "event") {
        try { sample = { event: JSON.parse(event) }; } catch (err) { throw new Error(t("test.badJson", { error: err.message })); }
      }
      setResult(await api("POST", `/automations/${encodeURIComponent(rule.id)}/test`, { body: sample }));
    } catch (err) { setError(err); }
    setBusy(false);
  };
  return html`<section class="form-section test-panel card" data-section="test">
    <div class="section-head"><h2>${t("test.title")}</h2></div>
    <p class="hint">${t("test.hint")}${dirty ? html` <strong>${t("test.unsaved")}</strong>` : ""}</p>
    <div class="row-fields">
      <label>${t("test.sample")}<select value=${kind} onChange=${(e) => setKind(e.target.value)} name="test-kind">
        <option value="outcome">${t("test.outcome")}</option><option value="event">${t("test.event")}</option></select></label>
      ${kind === "outcome" ? html`<label>${t("test.outcome")}<select value=${outcome} name="test-outcome" onChange=${(e) => setOutcome(e.target.value)}>
        ${OUTCOMES.map((o) => html`<option value=${o}>${o}</option>`)}</select></label>` : ""}
      <button type="button" class="btn" onClick=${run} disabled=${busy}>${busy ? t("working") : t("test.run")}</button>
    </div>
    ${kind === "event" ? html`<label class="setting wide">${t("test.event")}<textarea class="mono" rows="6" value=${event}
      onInput=${(e) => setEvent(e.target.value)}></textarea></label>` : ""}
    <${ErrorBox} error=${error} />
    ${result ? html`<div class="test-result" data-testid="test-result">
      ${result.trigger ? html`<p class=${result.trigger.matches ? "ok" : "warn"}><strong>${result.trigger.matches ? t("test.matches") : t("test.noMatch")}</strong> ${result.trigger.why}</p>` : ""}
      ${result.actions.length === 0 ? html`<p class="muted">${t("test.noActions")}</p>` : ""}
      ${result.actions.map((a) => html`<div class="test-action" data-index=${a.index}>
        <p><strong>#${a.index + 1} ${t(`action.kind.${a.type}`)}</strong> · ${a.fires ? t("test.fires", { outcome: result.outcome }) : t("test.notFires", { outcome: result.outcome })}</p>
        ${a.error ? html`<div class="field-error">${a.error}</div>` : html`<pre class="mono">${JSON.stringify(a.preview, null, 2)}</pre>`}
      </div>`)}
      <p class="muted">${t("test.nothingSent")}</p>
    </div>` : ""}
  </section>`;
}
