// One page-at-a-time loader for the API's cursor lists (automations, runs, events): the first page
// when the filters change, "Load more" from next_cursor, and answers to older filters dropped.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./components.js";
import { t, tOr } from "./i18n.js";

/** `fetchPage(cursor, first)` resolves to [items, next_cursor]; `deps` are the filters. */
export function usePaged(fetchPage, deps, enabled = true) {
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);
  const [more, setMore] = useState(false);
  const generation = useRef(0);
  const load = async () => {
    const mine = ++generation.current;
    setItems(null);
    setError(null);
    try {
      const [page, next] = await fetchPage(null, mine === 1);
      if (mine !== generation.current) return;
      setItems(page);
      setCursor(next);
    } catch (err) { if (mine === generation.current) setError(err); }
  };
  const loadMore = async () => {
    const mine = generation.current;
    setMore(true);
    try {
      const [page, next] = await fetchPage(cursor, false);
      if (mine === generation.current) {
        setItems((now) => [...now, ...page]);
        setCursor(next);
      }
    } catch (err) { if (mine === generation.current) setError(err); }
    setMore(false);
  };
  useEffect(() => { if (enabled) load(); }, [enabled, ...deps]);
  return { items, setItems, cursor, error, more, load, loadMore };
}

/** "N shown" and the Load more button under a paged list. */
export function ListFoot({ paged, countKey }) {
  const count = paged.items.length;  // "1 run shown", not "1 runs shown" (a language without plurals has no .one key)
  return html`<div class="list-foot"><span class="muted">${count === 1 ? tOr(`${countKey}.one`, t(countKey, { count }), { count }) : t(countKey, { count })}</span>
    ${paged.cursor ? html`<button type="button" class="btn" onClick=${paged.loadMore} disabled=${paged.more}>
      ${paged.more ? t("loading") : t("loadMore")}</button>` : ""}</div>`;
}
