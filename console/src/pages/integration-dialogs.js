// The integration dialogs: New integration (the tool, a name, a team), the once-shown answer (the URL,
// the secret and the setup to paste into the tool, each with a copy button), and storing the signing
// secret a tool makes itself (PagerDuty) or already has (GitHub).
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { CopyField, Dialog, ErrorBox, FieldError, html, resolveField } from "../components.js";
import { t } from "../i18n.js";

export const INTEGRATION_TYPES = ["alertmanager", "grafana", "pagerduty", "cloudwatch", "github"];
// Product names: the same in every language.
export const TITLES = { alertmanager: "Prometheus Alertmanager", grafana: "Grafana Alerting", pagerduty: "PagerDuty",
  cloudwatch: "Amazon CloudWatch (SNS)", github: "GitHub" };
export const SIGNED = ["pagerduty", "github"]; // the tool signs its deliveries with a secret kept here

export function NewIntegrationDialog({ teams, onClose, onCreated }) {
  const [type, setType] = useState("alertmanager");
  const [name, setName] = useState(null); // null: not typed yet, so it follows the tool
  const [team, setTeam] = useState("0");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const shownName = name ?? TITLES[type];
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await api("POST", "/integrations", { body: { type, name: shownName.trim(), team_id: Number(team) } }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const at = error?.field ? resolveField(error.field, new Set(["type", "name", "team_id"])) : null;
  return html`<${Dialog} title=${t("integration.new")} onClose=${busy ? null : onClose} wide labelId="new-integration-title" footer=${html`
      <button type="button" class="btn" onClick=${onClose} disabled=${busy}>${t("cancel")}</button>
      <button type="submit" form="new-integration" class="btn primary" disabled=${busy || !shownName.trim()}>
        ${busy ? t("working") : t("integration.create")}</button>`}>
    <form id="new-integration" onSubmit=${submit}>
      <fieldset class="type-picker" role="radiogroup" aria-label=${t("integration.tool")}><legend>${t("integration.tool")}</legend>
        ${INTEGRATION_TYPES.map((k) => html`<label class=${`type-option${k === type ? " chosen" : ""}`} data-type=${k}>
          <input type="radio" name="type" value=${k} checked=${k === type} onChange=${() => setType(k)} />
          <span><strong>${TITLES[k]}</strong><span class="muted">${t(`integration.about.${k}`)}</span></span></label>`)}
        <${FieldError} error=${error} at=${at} path="type" />
      </fieldset>
      <div class="two">
        <label>${t("integration.name")}<input name="name" value=${shownName} maxlength="255" required
          onInput=${(e) => setName(e.target.value)} /><${FieldError} error=${error} at=${at} path="name" /></label>
        <label>${t("form.scope")}<select name="team_id" value=${team} onChange=${(e) => setTeam(e.target.value)}>
          <option value="0">${t("integration.accountWide")}</option>
          ${teams.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select>
          <span class="hint">${t("integration.scopeHint")}</span><${FieldError} error=${error} at=${at} path="team_id" /></label>
      </div>
      ${error && !at ? html`<${ErrorBox} error=${error} />` : ""}
    </form>
  <//>`;
}

/** The signing secret form: in the once-shown dialog of a PagerDuty integration, and on its own. */
function SigningSecretForm({ integration, onSaved }) {
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("PUT", `/integrations/${encodeURIComponent(integration.id)}`, { body: { signing_secret: value } });
      setSaved(true);
      setValue("");
      onSaved?.();
    } catch (err) { setError(err); }
    setBusy(false);
  };
  return html`<form class="signing-form" onSubmit=${save} data-testid="signing-form">
    <label>${t("integration.signingSecret")}<input type="password" name="signing_secret" autocomplete="off" value=${value}
      onInput=${(e) => { setValue(e.target.value); setSaved(false); }} placeholder=${t("integration.signingPlaceholder", { tool: TITLES[integration.type] })} /></label>
    <span class="hint">${t(`integration.signingHint.${integration.type}`)}</span>
    ${error ? html`<${ErrorBox} error=${error} />` : ""}
    ${saved ? html`<p class="ok" role="status">${t("integration.signingSaved")}</p>` : ""}
    <button type="submit" class="btn" disabled=${busy || !value}>${busy ? t("working") : t("integration.saveSigning")}</button>
  </form>`;
}

export function SigningSecretDialog({ integration, onClose, onSaved }) {
  return html`<${Dialog} title=${t("integration.signingTitle", { name: integration.name })} onClose=${onClose} labelId="signing-title"
    footer=${html`<button type="button" class="btn primary" onClick=${onClose}>${t("dialog.done")}</button>`}>
    <${SigningSecretForm} integration=${integration} onSaved=${onSaved} />
  <//>`;
}

/** The answer of create or rotate: the only time its secret is shown. Closing drops it. */
export function SecretDialog({ answer, rotated, onClose, onSaved }) {
  const { integration, secret, setup } = answer;
  const type = integration.type;
  const title = rotated ? t("integration.rotatedTitle", { name: integration.name }) : t("integration.createdTitle", { name: integration.name });
  const secretLabel = type === "cloudwatch" ? t("integration.secret.url") : integration.secret_kind === "signing"
    ? t("integration.signingSecret") : t("integration.secret.token");
  return html`<${Dialog} title=${title} onClose=${onClose} wide labelId="secret-title"
    footer=${html`<button type="button" class="btn primary" onClick=${onClose}>${type === "pagerduty" ? t("integration.done") : t("integration.saved")}</button>`}>
    <div class="banner warning" role="alert">${type === "pagerduty" ? t("integration.onceWarningPagerduty") : t("integration.onceWarning")}</div>
    <${CopyField} label=${t("integration.url")} value=${integration.url} name="url" />
    ${type === "pagerduty" ? "" : html`<${CopyField} label=${secretLabel} value=${secret} name="secret" />`}
    <p class="where" data-testid="where">${t(`integration.where.${type}`)}</p>
    ${setup ? html`<${CopyField} label=${t("integration.setup", { tool: TITLES[type] || integration.title })} value=${setup} multiline name="setup" />` : ""}
    ${type === "pagerduty" ? html`<${SigningSecretForm} integration=${integration} onSaved=${onSaved} />` : ""}
  <//>`;
}
