// The console: sign-in, the frame around every page, and the routes.
import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, forgetKey, getKey, setKey, whenUnauthorized } from "./api.js";
import { ErrorBox, html, Loading } from "./components.js";
import { lang, LANGS, setLang, t } from "./i18n.js";
import { currentRoute, href, linkClick, onRouteChange } from "./router.js";
import { AutomationsPage, prefetchList } from "./pages/automations.js";
import { AutomationForm } from "./pages/form.js";
import { HistoryPage } from "./pages/history.js";
import { ChatPage } from "./pages/chat.js";
import { EventsPage } from "./pages/events.js";
import { SecretsPage } from "./pages/secrets.js";
import { IntegrationsPage } from "./pages/integrations.js";
import { AlertsPage } from "./pages/alerts.js";
import { AgentsPage } from "./pages/agents.js";
import { McpServersPage } from "./pages/mcp-servers.js";
import { KnowledgePage } from "./pages/knowledge.js";
import { TriggerDialog } from "./pages/trigger-dialog.js";
import { App } from "./context.js";


// A key handed over once in the link's fragment (`#key=…`, never sent to a server) is moved to
// sessionStorage and taken out of the address at once.
const handed = new URLSearchParams(location.hash.slice(1)).get("key");
if (handed) {
  setKey(handed);
  history.replaceState(null, "", location.pathname + location.search);
}

function SignIn({ notice, onSignedIn }) {
  const [key, setValue] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api("GET", "/me", { key: key.trim() });
      setKey(key.trim());
      onSignedIn(me);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <form class="card signin-card" onSubmit=${submit}>
      <h1>${t("app.title")}</h1>
      <p class="muted">${t("signin.intro")}</p>
      ${notice ? html`<p class="notice">${notice}</p>` : ""}
      <label for="api-key">${t("signin.key")}</label>
      <input id="api-key" type="password" autocomplete="off" spellcheck="false" value=${key}
        onInput=${(e) => setValue(e.target.value)} placeholder="sreak_…" required />
      <p class="hint">${t("signin.hint")}</p>
      <${ErrorBox} error=${error} />
      <button class="btn primary" type="submit" disabled=${busy || !key.trim()}>${busy ? t("working") : t("signin.submit")}</button>
    </form>
  </main>`;
}

function Nav({ route }) {
  const item = (page, path, label) => html`<a data-route href=${href(path)}
    class=${route.page === page || (page === "automations" && ["new", "form", "history", "chat"].includes(route.page)) ? "active" : ""}>${label}</a>`;
  return html`<nav class="nav">${item("automations", "/automations", t("nav.automations"))}
    ${item("alerts", "/alerts", t("nav.alerts"))}${item("integrations", "/integrations", t("nav.integrations"))}
    ${item("knowledge", "/knowledge", t("nav.knowledge"))}${item("mcp-servers", "/mcp-servers", t("nav.mcp"))}
    ${item("agents", "/agents", t("nav.agents"))}
    ${item("events", "/events", t("nav.events"))}${item("secrets", "/secrets", t("nav.secrets"))}</nav>`;
}

function Page({ route }) {
  switch (route.page) {
    case "new": return html`<${AutomationForm} key="new" templateId=${route.query.template} />`;
    case "form": return html`<${AutomationForm} key=${route.id} id=${route.id} />`;
    case "history": return html`<${HistoryPage} key=${route.id} id=${route.id} />`;
    case "chat": return html`<${ChatPage} key=${route.query.session_id} sessionId=${route.query.session_id} />`;
    case "events": return html`<${EventsPage} />`;
    case "secrets": return html`<${SecretsPage} />`;
    case "integrations": return html`<${IntegrationsPage} />`;
    case "alerts": return html`<${AlertsPage} query=${route.query} />`;
    case "agents": return html`<${AgentsPage} />`;
    case "mcp-servers": return html`<${McpServersPage} />`;
    case "knowledge": return html`<${KnowledgePage} />`;
    default: return html`<${AutomationsPage} />`;
  }
}

function Root() {
  const [language, setLanguage] = useState(lang());
  const [route, setRoute] = useState(currentRoute());
  const [me, setMe] = useState(null);
  const [directory, setDirectory] = useState({ teams: [], runners: [] });
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [signedIn, setSignedIn] = useState(Boolean(getKey()));
  const [trigger, setTrigger] = useState(null); // {automationId, url, token, curl}: shown once

  useEffect(() => onRouteChange(() => setRoute(currentRoute())), []);
  useEffect(() => { document.documentElement.lang = language; document.title = t("app.title"); }, [language]);
  const signOut = useCallback((why) => {
    forgetKey();
    setMe(null);
    setSignedIn(false);
    setNotice(why || null);
  }, []);
  useEffect(() => whenUnauthorized(() => signOut(t("signin.expired"))), []);

  const loadDirectory = useCallback(async () => {
    const [teams, runners] = await Promise.all([api("GET", "/teams"), api("GET", "/runners")]);
    setDirectory({ teams: teams.teams, runners: runners.runners });
  }, []);
  useEffect(() => {
    if (!signedIn || me) return;
    setError(null);
    Promise.all([api("GET", "/me"), loadDirectory()]).then(([who]) => setMe(who)).catch(setError);
  }, [signedIn, me]);

  const chooseLang = (value) => { setLang(value); setLanguage(value); };
  const langPicker = html`<select class="lang" aria-label=${t("lang.label")} value=${language}
    onChange=${(e) => chooseLang(e.target.value)}>${LANGS.map((l) => html`<option value=${l.code}>${l.name}</option>`)}</select>`;

  if (!signedIn) {
    return html`<div class="app" key=${language}><header class="top"><span class="brand">${t("app.brand")}</span>
      <div class="spacer"></div>${langPicker}</header>
      <${SignIn} notice=${notice} onSignedIn=${(who) => { setNotice(null); setSignedIn(true); setMe(who); loadDirectory().catch(setError); }} /></div>`;
  }
  const context = { me, lang: language, ...directory, reloadDirectory: loadDirectory, showTrigger: setTrigger };
  return html`<${App.Provider} value=${context}>
    <div class="app" key=${language} onClick=${linkClick}>
      <header class="top">
        <a class="brand" data-route href=${href("/automations")}>${t("app.brand")}</a>
        <${Nav} route=${route} />
        <div class="spacer"></div>
        ${me ? html`<span class="who" title=${me.user.id}>${me.user.email} · <span class="role">${t(`role.${me.user.role}`)}</span></span>` : ""}
        ${langPicker}
        <button type="button" class="btn small" onClick=${() => signOut(t("signin.signedOut"))}>${t("signout")}</button>
      </header>
      <main class="content">
        ${error ? html`<${ErrorBox} error=${error} retry=${() => { setError(null); setMe(null); }} />`
          : me ? html`<${Page} route=${route} />` : html`<${Loading} />`}
      </main>
      ${trigger ? html`<${TriggerDialog} ...${trigger} onClose=${() => setTrigger(null)} onRotated=${setTrigger} />` : ""}
    </div>
  <//>`;
}

if (getKey() && currentRoute().page === "automations") prefetchList();
const root = document.getElementById("app");
root.textContent = ""; // the page's own "Loading…" until this script ran
render(html`<${Root} />`, root);
