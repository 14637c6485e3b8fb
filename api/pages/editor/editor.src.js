// Istok's source editor: CodeMirror 6 over the article's textarea, bundled by esbuild at `make install`.
//
// The textarea stays the form field: every change in CodeMirror is written back to it (value and
// selection) and announced with an "input" event, so the preview, the image upload and the form post
// work exactly as without this bundle; a script that sets the textarea's value is followed likewise.
// The toolbar (admin.js) edits through `window.IstokSourceEditor`, the same small interface the plain
// textarea offers when this bundle is absent. No eval, and no <style> element, which the page's CSP
// (style-src 'self') would block: the editor lives in a shadow root, where CodeMirror's styles go
// into a constructed stylesheet (adoptedStyleSheets) instead.
import {EditorView, ViewPlugin, Decoration, keymap, drawSelection, highlightSpecialChars, placeholder}
  from "@codemirror/view";
import {EditorState, EditorSelection} from "@codemirror/state";
import {history, historyKeymap, defaultKeymap, indentWithTab} from "@codemirror/commands";
import {syntaxHighlighting, defaultHighlightStyle, LanguageSupport} from "@codemirror/language";
import {markdownLanguage} from "@codemirror/lang-markdown";

// The page's staff.css does not reach into the shadow root: the editor's look is stated here.
const theme = EditorView.theme({
  "&": {background: "#fff", border: "1px solid #c9ced9", borderRadius: "8px", color: "#1f2330",
        font: "13px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace"},
  "&.cm-focused": {outline: "3px solid #1d4ed8", outlineOffset: "2px"},
  ".cm-scroller": {fontFamily: "inherit", lineHeight: "inherit", minHeight: "560px", maxHeight: "80vh"},
  ".cm-content": {padding: "8px 4px", minHeight: "560px"},
  ".cm-placeholder": {color: "#596070"},
  ".cm-frontmatter, .cm-frontmatter *": {color: "#596070", fontWeight: "normal", textDecoration: "none"},
});

// The YAML front matter between the first two "---" lines is not Markdown (to the Markdown parser its
// last line would make a heading): its lines are shown plainly, as settings rather than text.
const frontMatterLine = Decoration.line({class: "cm-frontmatter"});
function frontMatterLines(view) {
  const doc = view.state.doc, marks = [];
  if (doc.lines < 2 || doc.line(1).text.trim() !== "---") return Decoration.none;
  for (let n = 1; n <= doc.lines; n++) {
    const line = doc.line(n);
    marks.push(frontMatterLine.range(line.from));
    if (n > 1 && line.text.trim() === "---") break;
  }
  return Decoration.set(marks);
}
const frontMatter = ViewPlugin.fromClass(class {
  constructor(view) { this.decorations = frontMatterLines(view); }
  update(u) { if (u.docChanged) this.decorations = frontMatterLines(u.view); }
}, {decorations: (p) => p.decorations});

function enhance(area) {
  let quiet = false;  // true while this file writes to the textarea, so its own echo is ignored

  function writeBack(state, changed) {
    const sel = state.selection.main;
    quiet = true;
    if (changed) area.value = state.doc.toString();
    area.setSelectionRange(sel.from, sel.to);
    if (changed) area.dispatchEvent(new Event("input", {bubbles: true}));
    quiet = false;
  }

  const host = document.createElement("div");
  host.className = "source-editor-host";
  area.insertAdjacentElement("afterend", host);
  const shadow = host.attachShadow({mode: "open"});
  const view = new EditorView({
    root: shadow,
    parent: shadow,
    state: EditorState.create({
      doc: area.value,
      extensions: [
        history(),
        drawSelection(),
        highlightSpecialChars(),
        syntaxHighlighting(defaultHighlightStyle, {fallback: true}),
        new LanguageSupport(markdownLanguage),
        EditorView.lineWrapping,
        theme,
        frontMatter,
        EditorView.editorAttributes.of({class: "source-editor"}),
        placeholder(area.placeholder || ""),
        keymap.of([...defaultKeymap.filter((b) => b.key !== "Mod-i"), ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({
          "aria-label": area.dataset.label || "Markdown source",
          spellcheck: "true",
          tabindex: "0",  // focusable by the rules' reckoning too (axe: scrollable-region-focusable)
          lang: area.lang || document.documentElement.lang || "",
        }),
        EditorView.updateListener.of((u) => { if (u.docChanged || u.selectionSet) writeBack(u.state, u.docChanged); }),
      ],
    }),
  });
  area.classList.add("enhanced");
  area.tabIndex = -1;
  area.setAttribute("aria-hidden", "true");
  document.querySelectorAll('label[for="' + area.id + '"]').forEach((l) => {
    l.addEventListener("click", (ev) => { ev.preventDefault(); view.focus(); });
  });

  area.addEventListener("input", () => {  // someone else wrote the textarea: follow it
    if (quiet) return;
    const text = area.value;
    if (text === view.state.doc.toString()) return;
    const anchor = Math.min(area.selectionStart, text.length), head = Math.min(area.selectionEnd, text.length);
    view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: text},
                   selection: EditorSelection.single(anchor, head)});
  });

  return {
    kind: "codemirror",
    root: view.dom,
    text: () => view.state.doc.toString(),
    selection() {  // a script may have placed the textarea's cursor (it has focus then): that one counts
      if (document.activeElement === area) return {from: area.selectionStart, to: area.selectionEnd};
      return {from: view.state.selection.main.from, to: view.state.selection.main.to};
    },
    replace(from, to, insert, selFrom, selTo) {
      view.dispatch({changes: {from, to, insert}, selection: EditorSelection.single(selFrom, selTo), scrollIntoView: true,
                     userEvent: "input"});
      view.focus();
    },
    focus: () => view.focus(),
  };
}

const area = document.getElementById("source");
if (area && !window.IstokSourceEditor) window.IstokSourceEditor = enhance(area);
