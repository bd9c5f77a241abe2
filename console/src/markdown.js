// Markdown in and out. Everything an agent or an event wrote is untrusted: it is rendered with
// marked and then sanitised with DOMPurify, so no script in it can run (and the page's CSP forbids
// inline script besides).
import DOMPurify from "dompurify";
import { marked } from "marked";
import TurndownService from "turndown";

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

const SAFE = {
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "svg", "math"],
  FORBID_ATTR: ["style", "srcset"],
  ALLOW_DATA_ATTR: false,
};

/** Sanitised HTML for untrusted Markdown. */
export function renderMarkdown(text) {
  return DOMPurify.sanitize(marked.parse(String(text ?? ""), { gfm: true, breaks: false, async: false }), SAFE);
}

const EDITOR_TAGS = ["p", "br", "div", "ul", "ol", "li", "strong", "b", "em", "i", "code", "pre", "a", "h1", "h2", "h3", "blockquote"];

/** Sanitised HTML for the task-prompt editor: only what the editor can write back as Markdown. */
export function editorHtml(text) {
  return DOMPurify.sanitize(marked.parse(String(text ?? ""), { gfm: true, async: false }),
    { ALLOWED_TAGS: EDITOR_TAGS, ALLOWED_ATTR: ["href"] });
}

/** Pasted HTML, cut down to what the editor supports. */
export function pastedHtml(raw) {
  return DOMPurify.sanitize(raw, { ALLOWED_TAGS: EDITOR_TAGS, ALLOWED_ATTR: ["href"] });
}

const turndown = new TurndownService({
  headingStyle: "atx", codeBlockStyle: "fenced", bulletListMarker: "-", emDelimiter: "*", strongDelimiter: "**",
});
turndown.addRule("listItem", {
  filter: "li",
  replacement(content, node) {
    const parent = node.parentNode;
    const index = Array.prototype.indexOf.call(parent.children, node);
    const marker = parent.nodeName === "OL" ? `${(Number(parent.getAttribute("start")) || 1) + index}. ` : "- ";
    const body = content.replace(/^\n+/, "").replace(/\n+$/, "\n").replace(/\n/gm, `\n${" ".repeat(marker.length)}`);
    return marker + body.trimEnd() + (node.nextSibling ? "\n" : "");
  },
});

/** The editor's HTML as the Markdown the agent receives. */
export function toMarkdown(htmlText) {
  // A typed space next to markup arrives as &nbsp;, and the editor leaves zero-width spaces for the caret:
  // neither is the user's text.
  return turndown.turndown(htmlText).replace(/\u00a0/g, " ").replace(/\u200b/g, "").replace(/\n{3,}/g, "\n\n").trim();
}
