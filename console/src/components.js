// Small shared pieces of the console's pages.
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { formatDate, lang, t } from "./i18n.js";

export const html = htm.bind(h);

export function Loading({ label }) {
  return html`<div class="loading" role="status" aria-live="polite"><span class="spinner"></span>${label || t("loading")}</div>`;
}

/** An API (or other) error in words, never a blank screen. */
export function ErrorBox({ error, retry }) {
  if (!error) return null;
  const status = error.status ? `${error.status} ${error.code || ""}`.trim() : error.code || "";
  return html`<div class="error-box" role="alert">
    <strong>${t("error.title")}</strong>${status ? html` <span class="muted">(${status})</span>` : ""}
    <div class="error-message">${error.message || String(error)}</div>
    ${retry ? html`<button type="button" class="btn small" onClick=${retry}>${t("retry")}</button>` : ""}
  </div>`;
}

export function Dialog({ title, onClose, children, footer, wide, labelId = "dialog-title" }) {
  const box = useRef(null);
  useEffect(() => {
    const previous = document.activeElement;
    const first = box.current?.querySelector("[autofocus], button, input, textarea, select");
    first?.focus();
    const onKey = (e) => { if (e.key === "Escape" && onClose) onClose(); };
    document.addEventListener("keydown", onKey);
    return () => { document.removeEventListener("keydown", onKey); previous?.focus?.(); };
  }, []);
  return html`<div class="overlay" onClick=${(e) => { if (e.target === e.currentTarget && onClose) onClose(); }}>
    <div class=${`dialog${wide ? " wide" : ""}`} role="dialog" aria-modal="true" aria-labelledby=${labelId} ref=${box}>
      <div class="dialog-head"><h2 id=${labelId}>${title}</h2>
        ${onClose ? html`<button type="button" class="icon-btn" aria-label=${t("close")} onClick=${onClose}>×</button>` : ""}
      </div>
      <div class="dialog-body">${children}</div>
      ${footer ? html`<div class="dialog-foot">${footer}</div>` : ""}
    </div>
  </div>`;
}

/** A yes/no question; `onConfirm` may return a promise (its error is shown in the dialog). */
export function Confirm({ title, message, confirmLabel, danger, onConfirm, onCancel }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try { await onConfirm(); } catch (err) { setError(err); setBusy(false); }
  };
  return html`<${Dialog} title=${title} onClose=${busy ? null : onCancel} labelId="confirm-title" footer=${html`
      <button type="button" class="btn" onClick=${onCancel} disabled=${busy}>${t("cancel")}</button>
      <button type="button" class=${`btn ${danger ? "danger" : "primary"}`} onClick=${go} disabled=${busy}>
        ${busy ? t("working") : confirmLabel}</button>`}>
    <p class="confirm-message">${message}</p>
    <${ErrorBox} error=${error} />
  <//>`;
}

export function Switch({ checked, disabled, onChange, label }) {
  return html`<button type="button" role="switch" class=${`switch${checked ? " on" : ""}`} aria-checked=${checked ? "true" : "false"}
    aria-label=${label} title=${label} disabled=${disabled} onClick=${() => onChange(!checked)}><span class="knob"></span></button>`;
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (await copyText(text)) {
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    }
  };
  return html`<button type="button" class="btn small" onClick=${copy} aria-label=${label}>${copied ? t("copied") : t("copy")}</button>`;
}

export function CopyField({ label, value, multiline, name }) {
  return html`<div class="copy-field" data-copy=${name}>
    <div class="copy-head"><span class="label">${label}</span><${CopyButton} text=${value} label=${`${t("copy")} ${label}`} /></div>
    ${multiline ? html`<pre class="mono copy-value">${value}</pre>` : html`<code class="mono copy-value">${value}</code>`}
  </div>`;
}

export const FINAL = ["succeeded", "partial", "failed", "skipped", "abandoned"];

export function StatusBadge({ status }) {
  return html`<span class=${`badge status-${status}`} title=${t(`status.${status}`)} data-status=${status}>${status}</span>`;
}

/** A time from the API, shown in the user's time zone; the API's own value is in the tooltip. */
export function Time({ value }) {
  if (!value) return html`<span class="muted">—</span>`;
  return html`<time datetime=${value} title=${value}>${formatDate(value)}</time>`;
}

export function durationText(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 100) / 10;
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  if (minutes < 60) return `${minutes} min ${rest} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The longest of the form's field paths that the error's field lies in (`triggers[0].match.resource.x`
 * shows at `triggers[0].match`), or null when the form has no such field. */
export function resolveField(field, known) {
  let path = field;
  while (path) {
    if (known.has(path)) return path;
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    if (cut <= 0) return null;
    path = path.slice(0, cut);
  }
  return null;
}

/** Where the form shows the API's error for one field. */
export function FieldError({ error, at, path }) {
  if (!error || at !== path) return null;
  return html`<div class="field-error" role="alert" data-field=${error.field}>${error.message}</div>`;
}

/** A link to an address from untrusted data (an alert's generator URL, a change's link): only http(s),
 * opened in a new tab without a referrer; anything else is shown as text. */
export function ExternalLink({ url, children }) {
  if (!url) return html`<span class="muted">—</span>`;
  if (!/^https?:\/\//i.test(String(url))) return html`<span class="mono">${url}</span>`;
  return html`<a href=${url} target="_blank" rel="noopener noreferrer nofollow">${children || url}</a>`;
}

/** Seconds from the API (time to acknowledge, a firing's duration) in words. */
export const secondsText = (s) => (s === null || s === undefined ? "—" : durationText(s * 1000));

/** A row of tabs; `current` is the chosen one's value. */
export function Tabs({ tabs, current, onChange, label }) {
  return html`<div class="tabs" role="tablist" aria-label=${label}>${tabs.map(([value, text]) => html`<button type="button" role="tab"
    class=${`tab${value === current ? " active" : ""}`} aria-selected=${value === current ? "true" : "false"} data-tab=${value}
    onClick=${() => onChange(value)}>${text}</button>`)}</div>`;
}

export function PageHead({ title, subtitle, children }) {
  return html`<div class="page-head"><div><h1>${title}</h1>${subtitle ? html`<p class="muted">${subtitle}</p>` : ""}</div>
    <div class="page-actions">${children}</div></div>`;
}

export const useLang = () => lang();
