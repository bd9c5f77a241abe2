// The task prompt's rich-text editor: paragraphs, lists, bold, italic, code and links, kept as
// Markdown (the exact text the agent receives). The text is converted only when the user edits,
// so an untouched prompt is saved byte for byte as it was.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { html } from "./components.js";
import { t } from "./i18n.js";
import { editorHtml, pastedHtml, toMarkdown } from "./markdown.js";

function inBlock(tag) {
  const sel = window.getSelection();
  let node = sel?.anchorNode;
  while (node && node.nodeType !== 1) node = node.parentNode;
  return Boolean(node?.closest?.(tag));
}

export function RichEditor({ value, onChange, disabled, placeholder, id, invalid }) {
  const area = useRef(null);
  const saved = useRef(null);
  const [linking, setLinking] = useState(false);
  const [url, setUrl] = useState("https://");
  const [empty, setEmpty] = useState(!value);
  const emitted = useRef(null); // the last Markdown this editor produced itself

  useLayoutEffect(() => {
    // (Re)load the document only when the value comes from outside (a template, a loaded rule):
    // reloading what the user is typing would move the caret.
    if (area.current && value !== emitted.current) {
      area.current.innerHTML = editorHtml(value);
      emitted.current = value;
      setEmpty(!value);
    }
  }, [value]);

  const changed = () => {
    const markdown = toMarkdown(area.current.innerHTML);
    emitted.current = markdown;
    setEmpty(!area.current.textContent.trim());
    onChange(markdown);
  };
  const run = (command, arg = null) => {
    area.current.focus();
    document.execCommand("defaultParagraphSeparator", false, "p");
    document.execCommand(command, false, arg);
    changed();
  };
  const inlineCode = () => {
    area.current.focus();
    const sel = window.getSelection();
    if (!sel.rangeCount || sel.isCollapsed) return;
    const text = sel.toString();
    const code = document.createElement("code");
    code.textContent = text;
    const range = sel.getRangeAt(0);
    range.deleteContents();
    range.insertNode(code);
    // Go on typing after the code, not inside it: the caret needs a character outside the code to stand
    // behind (a zero-width space, which toMarkdown drops).
    const after = document.createTextNode("\u200b");
    code.after(after);
    sel.collapse(after, 1);
    changed();
  };
  const startLink = () => {
    const sel = window.getSelection();
    saved.current = sel.rangeCount ? sel.getRangeAt(0).cloneRange() : null;
    setUrl("https://");
    setLinking(true);
  };
  const applyLink = (e) => {
    e.preventDefault();
    setLinking(false);
    if (!/^(https?:|mailto:)/i.test(url)) return;
    area.current.focus();
    const sel = window.getSelection();
    if (saved.current) { sel.removeAllRanges(); sel.addRange(saved.current); }
    if (sel.isCollapsed && sel.rangeCount) {
      const link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      sel.getRangeAt(0).insertNode(link);
    } else {
      document.execCommand("createLink", false, url);
    }
    changed();
  };
  const onPaste = (e) => {
    e.preventDefault();
    const rich = e.clipboardData.getData("text/html");
    if (rich) document.execCommand("insertHTML", false, pastedHtml(rich));
    else document.execCommand("insertText", false, e.clipboardData.getData("text/plain"));
    changed();
  };
  const onKey = (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "b") { e.preventDefault(); run("bold"); }
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "i") { e.preventDefault(); run("italic"); }
  };
  const tool = (label, action, name) => html`<button type="button" class="tool" title=${label} aria-label=${label}
    data-tool=${name} disabled=${disabled} onMouseDown=${(e) => e.preventDefault()} onClick=${action}>${t(`editor.icon.${name}`)}</button>`;

  return html`<div class=${`rich-editor${disabled ? " disabled" : ""}${invalid ? " invalid" : ""}`}>
    <div class="toolbar" role="toolbar" aria-label=${t("editor.toolbar")}>
      ${tool(t("editor.bold"), () => run("bold"), "bold")}
      ${tool(t("editor.italic"), () => run("italic"), "italic")}
      ${tool(t("editor.code"), inlineCode, "code")}
      ${tool(t("editor.bullets"), () => run("insertUnorderedList"), "bullets")}
      ${tool(t("editor.numbers"), () => run("insertOrderedList"), "numbers")}
      ${tool(t("editor.codeblock"), () => run("formatBlock", inBlock("pre") ? "p" : "pre"), "codeblock")}
      ${tool(t("editor.link"), startLink, "link")}
      ${linking ? html`<form class="link-form" onSubmit=${applyLink}>
        <input type="url" value=${url} onInput=${(e) => setUrl(e.target.value)} aria-label=${t("editor.linkUrl")} autofocus />
        <button type="submit" class="btn small">${t("editor.applyLink")}</button>
        <button type="button" class="btn small" onClick=${() => setLinking(false)}>${t("cancel")}</button></form>` : ""}
    </div>
    <div ref=${area} id=${id} class=${`editable prose${empty ? " empty" : ""}`} contenteditable=${disabled ? "false" : "true"}
      role="textbox" aria-multiline="true" aria-label=${t("form.taskPrompt")} data-placeholder=${placeholder}
      onInput=${changed} onPaste=${onPaste} onKeyDown=${onKey}></div>
  </div>`;
}
