// The shape of a page listing what owners and admins manage (agent profiles, MCP servers): the list from
// the API, its head (Refresh, New for owners and admins, the read-only note for everyone else), its
// loading, error and empty states, and delete with a confirmation (whose dialog shows a refusal, e.g. a 409).
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { Confirm, ErrorBox, html, Loading, PageHead } from "../components.js";
import { t } from "../i18n.js";

/** The items of `GET path` (the answer's `key`), the one in the edit dialog ({} for a new one) and the one to delete. */
export function useAdminList(path, key) {
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const load = async () => {
    setError(null);
    try { setList((await api("GET", path))[key]); } catch (err) { setError(err); }
  };
  useEffect(() => { load(); }, []);
  const remove = async () => {
    await api("DELETE", `${path}/${encodeURIComponent(deleting.id)}`); // a refusal stays in the dialog
    setDeleting(null);
    load();
  };
  return { list, error, load, editing, setEditing, deleting, setDeleting, remove };
}

/** The head and states of the list; `strings` is the prefix of its `.title`, `.subtitle`, `.new`, `.adminOnly`, `.empty`. */
export function AdminListHead({ strings, admin, state }) {
  const { list, error, load, setEditing } = state;
  return html`<${PageHead} title=${t(`${strings}.title`)} subtitle=${t(`${strings}.subtitle`)}>
      <button type="button" class="btn" onClick=${load}>${t("refresh")}</button>
      ${admin ? html`<button type="button" class="btn primary" onClick=${() => setEditing({})}>${t(`${strings}.new`)}</button>` : ""}
    <//>
    ${admin ? "" : html`<p class="banner read-only-banner" role="note">${t(`${strings}.adminOnly`)}</p>`}
    <${ErrorBox} error=${error} retry=${load} />
    ${list === null && !error ? html`<${Loading} />` : ""}
    ${list && list.length === 0 ? html`<div class="empty card"><p>${t(`${strings}.empty`)}</p></div>` : ""}`;
}

/** Delete's question, while one is chosen. */
export function DeleteConfirm({ strings, state }) {
  const { deleting, setDeleting, remove } = state;
  if (!deleting) return null;
  return html`<${Confirm} title=${t(`${strings}.deleteTitle`, { name: deleting.name })} message=${t(`${strings}.deleteConfirm`)}
    confirmLabel=${t("list.delete")} danger onConfirm=${remove} onCancel=${() => setDeleting(null)} />`;
}
