// A session's artifacts, each as what it is: Markdown (report.md, tables included) rendered and
// sanitised; an SVG chart (alert-volume.svg) as an <img> from a data: URL, so its markup never enters
// the page and nothing in it can run; JSON (findings.json) pretty-printed in a block that opens on
// demand; anything else as text. An agent wrote them all: untrusted.
import { html } from "../components.js";
import { t } from "../i18n.js";
import { renderMarkdown } from "../markdown.js";

export function kindOf(mediaType) {
  const type = String(mediaType || "").toLowerCase();
  if (type.startsWith("image/svg+xml")) return "svg";
  if (/markdown|text\/plain/.test(type)) return "markdown";
  if (/json/.test(type)) return "json";
  return "text";
}

const ORDER = { markdown: 0, svg: 1, json: 2, text: 3 }; // the report, its chart, then its data

export function Markdown({ text }) {
  return html`<div class="prose" dangerouslySetInnerHTML=${{ __html: renderMarkdown(text) }}></div>`;
}

/** An SVG as an image: the browser renders it in secure static mode (no script, nothing fetched). */
export const svgSource = (text) => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(String(text ?? ""))}`;

function JsonBlock({ name, text }) {
  let value = null;
  try { value = typeof text === "string" ? JSON.parse(text) : text; } catch { /* shown as it came */ }
  const pretty = value === null ? String(text ?? "") : JSON.stringify(value, null, 2);
  const findings = Array.isArray(value?.findings) ? value.findings.length : null;
  return html`<details class="json-block"><summary>${findings === null ? t("artifact.showJson", { name })
    : t("artifact.findings", { count: findings })}${value?.template ? html` <span class="muted mono">${value.template}</span>` : ""}</summary>
    <pre class="mono">${pretty}</pre></details>`;
}

function Body({ artifact: a }) {
  switch (kindOf(a.media_type)) {
    case "markdown": return html`<${Markdown} text=${a.content} />`;
    case "svg": return html`<div class="chart"><img src=${svgSource(a.content)} alt=${a.name} data-testid="chart" /></div>`;
    case "json": return html`<${JsonBlock} name=${a.name} text=${a.content} />`;
    default: return html`<pre class="mono">${a.content}</pre>`;
  }
}

export function Artifacts({ artifacts }) {
  const sorted = artifacts.map((a, i) => ({ a, i }))
    .sort((x, y) => ORDER[kindOf(x.a.media_type)] - ORDER[kindOf(y.a.media_type)] || x.i - y.i).map((x) => x.a);
  return sorted.map((a) => html`<div class="card artifact" data-artifact=${a.name} data-kind=${kindOf(a.media_type)}>
    <div class="message-head"><strong class="mono">${a.name}</strong> <span class="muted">${a.media_type}</span></div>
    <${Body} artifact=${a} /></div>`);
}
