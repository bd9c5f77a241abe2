// /ai-sre/secrets: secret names only; set or replace a value, which is never shown back.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, FieldError, html, Loading, PageHead, resolveField, Time } from "../components.js";
import { useApp } from "../context.js";
import { t } from "../i18n.js";

export function SecretsPage() {
  const { me } = useApp();
  const admin = ["owner", "admin"].includes(me.user.role);
  const [secrets, setSecrets] = useState(null);
  const [error, setError] = useState(null);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [saveError, setSaveError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [busy, setBusy] = useState(false);
  const load = async () => {
    setError(null);
    try { setSecrets((await api("GET", "/secrets")).secrets); } catch (err) { setError(err); }
  };
  useEffect(() => { load(); }, []);
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setSaveError(null);
    setSaved(null);
    try {
      const answer = await api("PUT", `/secrets/${encodeURIComponent(name.trim())}`, { body: { value } });
      setSaved(answer.created ? t("secrets.created", { name: answer.name }) : t("secrets.replaced", { name: answer.name }));
      setValue("");
      setName("");
      load();
    } catch (err) { setSaveError(err); }
    setBusy(false);
  };
  const at = saveError?.field ? resolveField(saveError.field, new Set(["name", "value"])) : null;
  return html`<section>
    <${PageHead} title=${t("secrets.title")} subtitle=${t("secrets.subtitle")} />
    <form class="card secret-form" onSubmit=${save}>
      <h2>${t("secrets.set")}</h2>
      ${admin ? "" : html`<p class="banner read-only-banner">${t("secrets.adminOnly")}</p>`}
      <fieldset class="plain" disabled=${!admin || busy}>
        <div class="two">
          <label>${t("secrets.name")}<input name="secret-name" value=${name} placeholder="slack-oncall" required
            onInput=${(e) => setName(e.target.value)} autocomplete="off" /></label>
          <label>${t("secrets.value")}<input name="secret-value" type="password" value=${value} required autocomplete="new-password"
            onInput=${(e) => setValue(e.target.value)} /></label>
        </div>
        <${FieldError} error=${saveError} at=${at} path="name" /><${FieldError} error=${saveError} at=${at} path="value" />
        ${saveError && !at ? html`<${ErrorBox} error=${saveError} />` : ""}
        ${saved ? html`<p class="ok" role="status">${saved}</p>` : ""}
        <button type="submit" class="btn primary" disabled=${!name.trim() || !value}>${t("secrets.save")}</button>
        <p class="hint">${t("secrets.hint")}</p>
      </fieldset>
    </form>
    <${ErrorBox} error=${error} retry=${load} />
    ${secrets === null && !error ? html`<${Loading} />` : ""}
    ${secrets && secrets.length === 0 ? html`<div class="empty card"><p>${t("secrets.empty")}</p></div>` : ""}
    ${secrets && secrets.length ? html`<table class="table secrets"><thead><tr><th>${t("secrets.name")}</th><th>${t("secrets.updated")}</th><th></th></tr></thead>
      <tbody>${secrets.map((s) => html`<tr data-secret=${s.name}><td class="mono">${s.name}</td><td><${Time} value=${s.updated_at} /></td>
        <td><button type="button" class="btn small" disabled=${!admin} onClick=${() => { setName(s.name); setValue(""); document.querySelector('[name="secret-value"]')?.focus(); }}>
          ${t("secrets.replace")}</button></td></tr>`)}</tbody></table>` : ""}
  </section>`;
}
