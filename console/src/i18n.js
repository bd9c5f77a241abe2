// Every string of the console, in en-US and zh-CN. The language defaults from the browser and
// can be switched in the console (kept in localStorage; it is not a secret).
import { EN } from "./strings/en-US.js";
import { ZH } from "./strings/zh-CN.js";

export const STRINGS = { "en-US": EN, "zh-CN": ZH };
export const LANGS = [{ code: "en-US", name: "English" }, { code: "zh-CN", name: "中文" }];
const STORE = "sre-console-lang";

function initial() {
  const saved = localStorage.getItem(STORE);
  if (STRINGS[saved]) return saved;
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || "en-US"];
  return wanted.some((l) => String(l).toLowerCase().startsWith("zh")) ? "zh-CN" : "en-US";
}

let current = initial();
export const lang = () => current;
export function setLang(code) {
  if (!STRINGS[code]) return;
  current = code;
  localStorage.setItem(STORE, code);
}

/** The string for a key in the UI language, with {name} placeholders filled. */
export function t(key, vars) {
  const text = STRINGS[current][key] ?? STRINGS["en-US"][key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (m, name) => (vars[name] === undefined ? m : String(vars[name]))) : text;
}

/** Like t, but `fallback` where the key has no string (a value the API added later). */
export const tOr = (key, fallback, vars) => (key in STRINGS[current] ? t(key, vars) : fallback);

const dateFormats = new Map();
/** An ISO time in the user's time zone and language. */
export function formatDate(iso, long = false) {
  const id = `${current}|${long}`;
  if (!dateFormats.has(id)) {
    dateFormats.set(id, new Intl.DateTimeFormat(current, long
      ? { weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" }
      : { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" }));
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateFormats.get(id).format(date);
}
