// After saving an automation with Call via API: the one-time token, the trigger URL and the curl
// example, each with a copy button, and Regenerate (the old token stops working at once).
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { Confirm, CopyField, Dialog, html } from "../components.js";
import { t } from "../i18n.js";

export function TriggerDialog({ automationId, url, token, curl, onClose, onRotated }) {
  const [confirming, setConfirming] = useState(false);
  const rotate = async () => {
    const answer = await api("POST", `/automations/${encodeURIComponent(automationId)}/api-trigger/rotate`);
    setConfirming(false);
    onRotated({ automationId, ...answer });
  };
  return html`<${Dialog} title=${t("dialog.title")} onClose=${onClose} wide labelId="trigger-title" footer=${html`
      <button type="button" class="btn" onClick=${() => setConfirming(true)}>${t("api.regenerate")}</button>
      <button type="button" class="btn primary" onClick=${onClose}>${t("dialog.done")}</button>`}>
    <div class="banner warning" role="alert">${t("dialog.warning")}</div>
    <${CopyField} label=${t("api.token")} value=${token} name="token" />
    <${CopyField} label=${t("api.url")} value=${url} name="url" />
    <${CopyField} label=${t("dialog.curl")} value=${curl} multiline name="curl" />
    ${confirming ? html`<${Confirm} title=${t("api.regenerateTitle")} message=${t("api.regenerateConfirm")}
      confirmLabel=${t("api.regenerate")} danger onConfirm=${rotate} onCancel=${() => setConfirming(false)} />` : ""}
  <//>`;
}
