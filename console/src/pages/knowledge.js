// /ai-sre/knowledge: the teams' runbooks and service notes (Markdown, the automations' scope). Search
// ranks sections as a run's search_knowledge would; the editor writes Markdown (with a preview) for a new
// document, an uploaded .md file or an existing one.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { Confirm, Dialog, ErrorBox, FieldError, html, Loading, PageHead, resolveField, Tabs, Time } from "../components.js";
import { useApp } from "../context.js";
import { t } from "../i18n.js";
import { renderMarkdown } from "../markdown.js";
import { ListFoot, usePaged } from "../paged.js";
import { scopeText } from "../summary.js";

const FIELDS = new Set(["title", "team_id", "content"]);

/** A document's title from an uploaded file: its first `# heading`, else the file's name. */
function titleOf(fileName, text) {
  const heading = /^#\s+(.+)$/m.exec(text);
  return (heading ? heading[1] : fileName.replace(/\.(md|markdown|txt)$/i, "")).trim().slice(0, 255);
}

const sizeText = (bytes) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`);

function Editor({ doc, myTeams, onClose, onSaved }) {
  const editing = Boolean(doc.id);
  const readOnly = editing && !doc.can_edit;
  const [title, setTitle] = useState(doc.title || "");
  const [team, setTeam] = useState(String(doc.team_id || 0));
  const [content, setContent] = useState(doc.content || "");
  const [tab, setTab] = useState(readOnly ? "preview" : "write");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const teams = myTeams.some((x) => x.id === Number(team)) || !Number(team) ? myTeams
    : [...myTeams, { id: Number(team), name: t("scope.teamN", { id: team }) }];
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = { title: title.trim(), team_id: Number(team), content };
    try {
      await (editing ? api("PUT", `/knowledge/${encodeURIComponent(doc.id)}`, { body }) : api("POST", "/knowledge", { body }));
      onSaved();
    } catch (err) { setError(err); setBusy(false); }
  };
  const at = error?.field ? resolveField(error.field, FIELDS) : null;
  const heading = readOnly ? doc.title : editing ? t("knowledge.editTitle") : t("knowledge.newTitle");
  return html`<${Dialog} title=${heading} onClose=${busy ? null : onClose} wide labelId="knowledge-editor-title" footer=${html`
      <button type="button" class="btn" onClick=${onClose} disabled=${busy}>${readOnly ? t("close") : t("cancel")}</button>
      ${readOnly ? "" : html`<button type="submit" form="knowledge-editor" class="btn primary" disabled=${busy || !title.trim() || !content.trim()}>
        ${busy ? t("saving") : t("knowledge.save")}</button>`}`}>
    <form id="knowledge-editor" class="knowledge-editor" onSubmit=${save}>
      ${readOnly ? html`<p class="banner read-only-banner" role="note">${t("knowledge.readOnly")}</p>` : ""}
      <fieldset class="plain" disabled=${readOnly || busy}>
        <div class="two">
          <label>${t("knowledge.docTitle")}<input name="title" value=${title} maxlength="255" required
            onInput=${(e) => setTitle(e.target.value)} /><${FieldError} error=${error} at=${at} path="title" /></label>
          <label>${t("form.scope")}<select name="team_id" value=${team} onChange=${(e) => setTeam(e.target.value)}>
            <option value="0">${t("scope.personal")}</option>
            ${teams.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select>
            <span class="hint">${t("knowledge.scopeHint")}</span><${FieldError} error=${error} at=${at} path="team_id" /></label>
        </div>
      </fieldset>
      <${Tabs} label=${`${t("knowledge.write")} / ${t("knowledge.preview")}`} current=${tab} onChange=${setTab}
        tabs=${[["write", t("knowledge.write")], ["preview", t("knowledge.preview")]]} />
      ${tab === "write" ? html`<textarea name="content" class="mono knowledge-text" rows="18" aria-label=${t("knowledge.content")}
          value=${content} disabled=${readOnly || busy} placeholder=${t("knowledge.placeholder")}
          onInput=${(e) => setContent(e.target.value)}></textarea>`
        : html`<div class="prose knowledge-preview" data-testid="knowledge-preview"
          dangerouslySetInnerHTML=${{ __html: renderMarkdown(content) }}></div>`}
      <span class="hint">${t("knowledge.contentHint", { size: sizeText(new TextEncoder().encode(content).length) })}</span>
      <${FieldError} error=${error} at=${at} path="content" />
      ${error && !at ? html`<${ErrorBox} error=${error} />` : ""}
    </form>
  <//>`;
}

function Search({ teams, onOpen }) {
  const [q, setQ] = useState("");
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const search = async (e) => {
    e.preventDefault();
    if (!q.trim()) return;
    setBusy(true);
    setError(null);
    try { setAnswer(await api("GET", "/knowledge/search", { query: { q: q.trim(), limit: 10 } })); } catch (err) { setError(err); }
    setBusy(false);
  };
  return html`<section class="card knowledge-search">
    <form class="search-row" role="search" onSubmit=${search}>
      <input type="search" name="q" value=${q} aria-label=${t("knowledge.search")} placeholder=${t("knowledge.searchPlaceholder")}
        onInput=${(e) => setQ(e.target.value)} />
      <button type="submit" class="btn" disabled=${busy || !q.trim()}>${busy ? t("working") : t("knowledge.search")}</button>
    </form>
    <${ErrorBox} error=${error} />
    ${answer && !answer.results.length ? html`<p class="muted" data-testid="no-results">${t("knowledge.noResults", { q: answer.query })}</p>` : ""}
    ${answer && answer.results.length ? html`<ol class="search-results" data-testid="search-results">
      ${answer.results.map((r) => html`<li data-result=${r.document_id}>
        <div class="result-head"><button type="button" class="btn small link-like result-doc" onClick=${() => onOpen(r.document_id)}>${r.title}</button>
          ${r.heading ? html`<span class="result-section"> › ${r.heading}</span>` : ""}
          <span class="sub"> · ${scopeText(r.team_id, teams)} · ${t("knowledge.score", { score: Number(r.score).toFixed(2) })}</span></div>
        <p class="snippet">${r.snippet}</p></li>`)}</ol>` : ""}
  </section>`;
}

export function KnowledgePage() {
  const { me, teams } = useApp();
  const paged = usePaged(async (cursor) => {
    const answer = await api("GET", "/knowledge", { query: { limit: 50, cursor } });
    return [answer.documents, answer.next_cursor];
  }, []);
  const { items: docs, error, load } = paged;
  const [open, setOpen] = useState(null); // the document in the editor: {} for a new one
  const [openError, setOpenError] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const openDoc = async (id) => {
    setOpenError(null);
    try { setOpen((await api("GET", `/knowledge/${encodeURIComponent(id)}`)).document); } catch (err) { setOpenError(err); }
  };
  const upload = async (e) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    const text = await file.text();
    setOpen({ title: titleOf(file.name, text), team_id: 0, content: text });
  };
  const remove = async () => {
    await api("DELETE", `/knowledge/${encodeURIComponent(deleting.id)}`);
    setDeleting(null);
    load();
  };
  return html`<section class="knowledge">
    <${PageHead} title=${t("knowledge.title")} subtitle=${t("knowledge.subtitle")}>
      <button type="button" class="btn" onClick=${load}>${t("refresh")}</button>
      <label class="btn upload"><input type="file" accept=".md,.markdown,.txt,text/markdown,text/plain" class="visually-hidden"
        data-testid="knowledge-upload" onChange=${upload} />${t("knowledge.upload")}</label>
      <button type="button" class="btn primary" onClick=${() => setOpen({ team_id: 0 })}>${t("knowledge.new")}</button>
    <//>
    <${Search} teams=${teams} onOpen=${openDoc} />
    <${ErrorBox} error=${openError} />
    <${ErrorBox} error=${error} retry=${load} />
    ${docs === null && !error ? html`<${Loading} />` : ""}
    ${docs && docs.length === 0 ? html`<div class="empty card"><p>${t("knowledge.empty")}</p></div>` : ""}
    ${docs && docs.length ? html`<div class="table-wrap"><table class="table knowledge-table stack">
      <thead><tr><th>${t("knowledge.docTitle")}</th><th>${t("col.scope")}</th><th>${t("knowledge.sections")}</th>
        <th>${t("knowledge.size")}</th><th>${t("knowledge.updated")}</th><th>${t("col.actions")}</th></tr></thead>
      <tbody>${docs.map((d) => html`<tr key=${d.id} data-document=${d.id}>
        <td data-label=${t("knowledge.docTitle")}><button type="button" class="btn small link-like doc-title" onClick=${() => openDoc(d.id)}>${d.title}</button></td>
        <td data-label=${t("col.scope")}>${scopeText(d.team_id, teams)}</td>
        <td data-label=${t("knowledge.sections")}>${d.sections}</td>
        <td data-label=${t("knowledge.size")}>${sizeText(d.size)}</td>
        <td data-label=${t("knowledge.updated")}><${Time} value=${d.updated_at} /></td>
        <td class="row-actions" data-label=${t("col.actions")}>
          <button type="button" class="btn small" onClick=${() => openDoc(d.id)}>${d.can_edit ? t("knowledge.edit") : t("knowledge.view")}</button>
          ${d.can_edit ? html`<button type="button" class="btn small danger-text" onClick=${() => setDeleting(d)}>${t("list.delete")}</button>` : ""}</td>
      </tr>`)}</tbody></table></div><${ListFoot} paged=${paged} countKey="knowledge.count" />` : ""}
    ${open ? html`<${Editor} key=${open.id || "new"} doc=${open} myTeams=${me.teams} onClose=${() => setOpen(null)}
      onSaved=${() => { setOpen(null); load(); }} />` : ""}
    ${deleting ? html`<${Confirm} title=${t("knowledge.deleteTitle", { name: deleting.title })} message=${t("knowledge.deleteConfirm")}
      confirmLabel=${t("list.delete")} danger onConfirm=${remove} onCancel=${() => setDeleting(null)} />` : ""}
  </section>`;
}
