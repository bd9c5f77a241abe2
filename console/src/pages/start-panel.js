// "New Automation": start from scratch, or from a preset template in the UI language.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { Dialog, ErrorBox, html, Loading } from "../components.js";
import { lang, t } from "../i18n.js";
import { navigate } from "../router.js";

export function StartPanel({ onClose }) {
  const [templates, setTemplates] = useState(null);
  const [error, setError] = useState(null);
  const load = () => {
    setError(null);
    api("GET", "/automation-templates", { query: { locale: lang() } }).then((a) => setTemplates(a.templates)).catch(setError);
  };
  useEffect(load, []);
  return html`<${Dialog} title=${t("start.title")} onClose=${onClose} wide labelId="start-title">
    <button type="button" class="card start-scratch" onClick=${() => navigate("/automations/new")} autofocus>
      <strong>${t("start.scratch")}</strong><span class="muted">${t("start.scratchHint")}</span></button>
    <h3>${t("start.templates")}</h3>
    <${ErrorBox} error=${error} retry=${load} />
    ${templates === null && !error ? html`<${Loading} />` : ""}
    <div class="template-grid">${(templates || []).map((tpl) => html`<button type="button" class="card template-card"
      data-template=${tpl.id} onClick=${() => navigate(`/automations/new?template=${encodeURIComponent(tpl.id)}`)}>
      <span class="category">${tpl.category}</span><strong>${tpl.name}</strong>
      <span class="muted clamp">${tpl.task_prompt}</span></button>`)}</div>
  <//>`;
}
