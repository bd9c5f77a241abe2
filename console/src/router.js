// Client-side routes under the console's prefix; the server answers every one of them with the same page.
import { BASE } from "./api.js";

export const PREFIX = `${BASE}/ai-sre`;
const listeners = new Set();

export function currentRoute() {
  const path = location.pathname.startsWith(PREFIX) ? location.pathname.slice(PREFIX.length) : "/automations";
  const query = Object.fromEntries(new URLSearchParams(location.search));
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "automations" && parts.length === 3 && parts[2] === "history") {
    return { page: "history", id: parts[1], query };
  }
  if (parts[0] === "automations" && parts.length === 2) {
    return parts[1] === "new" ? { page: "new", query } : { page: "form", id: parts[1], query };
  }
  if (["chat", "events", "secrets", "integrations", "alerts", "agents", "mcp-servers", "knowledge"].includes(parts[0])) return { page: parts[0], query };
  return { page: "automations", query };
}

export function href(path) {
  return `${PREFIX}${path}`;
}

export function navigate(path, { replace = false } = {}) {
  const url = href(path);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.scrollTo(0, 0);
  listeners.forEach((fn) => fn());
}

export function onRouteChange(fn) {
  listeners.add(fn);
  const pop = () => fn();
  window.addEventListener("popstate", pop);
  return () => { listeners.delete(fn); window.removeEventListener("popstate", pop); };
}

/** Follow in-app links without reloading the page. */
export function linkClick(event) {
  const link = event.target.closest?.("a[data-route]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  history.pushState(null, "", link.getAttribute("href"));
  window.scrollTo(0, 0);
  listeners.forEach((fn) => fn());
}
