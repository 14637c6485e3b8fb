// Istok editor: a live preview of every channel beside the source, and IVR audio from the server.
// The source is edited through `editor` below: CodeMirror when editor.bundle.js is built (it sets
// window.IstokSourceEditor), else the plain textarea; both keep the textarea as the form field.
(function () {
  "use strict";
  var source = document.getElementById("source");
  if (!source) return;
  var box = document.querySelector(".previews");
  var busy = box.querySelector(".pv-live");
  var problems = box.querySelector(".preview-problems");
  var timer = null, seq = 0;
  var headers = {"Content-Type": "application/json", "X-CSRF-Token": source.dataset.csrf};

  function pane(channel) { return box.querySelector('.pv[data-channel="' + channel + '"]'); }
  function fill(template, values) {  // "{n} segments" with the numbers; the words come from the template
    return template.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }
  function warnings(div, list) {
    var old = div.querySelector("ul.warnings"); if (old) old.remove();
    if (!list || !list.length) return;
    var ul = document.createElement("ul"); ul.className = "warnings";
    list.forEach(function (w) { var li = document.createElement("li"); li.textContent = w; ul.appendChild(li); });
    div.appendChild(ul);
  }
  function meta(channel, c) {
    if (channel === "sms") return fill(pane("sms").dataset.segments, {n: c.segments}) + " · " + c.encoding;
    if (channel === "ivr") return "≈ " + Math.round(c.duration) + " s";
    if (channel === "email") return c.subject || "";
    return "";
  }
  // As the person at the other end meets it. Markup here was cleaned by nh3 on the server
  // (api/pages/preview.py); the SMS and the spoken IVR words are text.
  function showLook(channel, c, div, picker) {
    if (channel === "bot") {
      div.querySelector(".bubble").innerHTML = (c.bubbles && c.bubbles[picker.value]) || "";
    } else if (channel === "sms") {
      div.querySelector(".sms-bubble").textContent = c.body;
      div.querySelector(".sms-count").textContent =
        fill(div.dataset.chars, {n: c.length, per: c.per_segment});
    } else if (channel === "ivr") {
      div.querySelector(".spoken").textContent = c.shown;
    } else if (channel === "email") {
      div.querySelector(".mail-subject").textContent = c.subject || "";
      div.querySelector(".mail-body").innerHTML = c.shown;
    }
  }
  function show(data) {
    problems.hidden = !data.problems.length;
    problems.textContent = data.problems.join("\n");
    if (!data.ok) return;
    Object.keys(data.channels).forEach(function (channel) {
      var c = data.channels[channel], div = pane(channel);
      if (!div) return;
      var body = div.querySelector(".body");
      var picker = div.querySelector(".pv-format");
      if (picker && c.formats && !picker.options.length) {  // the formats, the API's default first
        Object.keys(c.formats).forEach(function (f) { picker.appendChild(new Option(f, f)); });
      }
      if (channel === "web" || channel === "operator") body.innerHTML = c.body; // sanitised by the renderer (nh3)
      else if (picker && c.formats) body.textContent = c.formats[picker.value] || c.body; // the text the messenger gets
      else body.textContent = c.body;
      showLook(channel, c, div, picker);
      div.querySelector(".pv-meta").textContent = meta(channel, c);
      warnings(div, c.warnings);
    });
  }
  var last = null;
  box.querySelectorAll(".pv-format").forEach(function (picker) {
    picker.addEventListener("change", function () { if (last) show(last); });
  });
  var raw = document.getElementById("pv-raw");
  function rawShown() { box.classList.toggle("show-raw", raw.checked); }
  raw.addEventListener("change", rawShown);
  rawShown();
  function refresh() {
    var mine = ++seq;
    busy.setAttribute("aria-busy", "true");
    fetch(source.dataset.preview, {method: "POST", headers: headers, credentials: "same-origin",
                                   body: JSON.stringify({source: source.value})})
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === seq) { last = data; show(data); busy.setAttribute("aria-busy", "false"); } })
      .catch(function () { busy.setAttribute("aria-busy", "false"); });
  }
  source.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 350); });
  refresh();

  var listen = box.querySelector(".listen"), audio = pane("ivr").querySelector("audio");
  listen.addEventListener("click", function () {
    listen.disabled = true; listen.textContent = "…";
    fetch(source.dataset.listen, {method: "POST", headers: headers, credentials: "same-origin",
                                  body: JSON.stringify({source: source.value})})
      .then(function (r) {
        if (!r.ok) return r.json().then(function (e) { throw new Error(e.detail); });
        return r.blob();
      })
      .then(function (blob) { audio.src = URL.createObjectURL(blob); audio.hidden = false; return audio.play(); })
      .catch(function (e) { warnings(pane("ivr"), [String(e.message || e)]); })
      .then(function () { listen.disabled = false; listen.textContent = listen.dataset.label; });
  });
})();

// The source as something to edit: CodeMirror's interface when its bundle ran, else the textarea's.
function istokSourceEditor() {
  "use strict";
  var area = document.getElementById("source");
  if (window.IstokSourceEditor) return window.IstokSourceEditor;
  window.IstokSourceEditor = {
    kind: "textarea",
    root: area,
    text: function () { return area.value; },
    selection: function () { return {from: area.selectionStart, to: area.selectionEnd}; },
    replace: function (from, to, insert, selFrom, selTo) {
      area.value = area.value.slice(0, from) + insert + area.value.slice(to);
      area.focus();
      area.setSelectionRange(selFrom, selTo);
      area.dispatchEvent(new Event("input", {bubbles: true}));
    },
    focus: function () { area.focus(); }
  };
  return window.IstokSourceEditor;
}

// The toolbar: Markdown written for people who do not write it. Each button edits the source at the
// selection (or the cursor's line) and leaves the words to type selected; the pickers insert links
// to articles (`[text](kb:key)`), facts (`{{ key }}`) and channel blocks (`::: sms` … `:::`).
(function () {
  "use strict";
  var bar = document.querySelector(".editor-toolbar");
  if (!bar || !document.getElementById("source")) return;
  var editor = istokSourceEditor(), words = bar.dataset;
  var buttons = Array.prototype.slice.call(bar.querySelectorAll("button"));
  bar.hidden = false;

  function lineStart(text, at) { return text.lastIndexOf("\n", at - 1) + 1; }
  function lineEnd(text, at) { var e = text.indexOf("\n", at); return e < 0 ? text.length : e; }
  function wrap(mark, placeholder) {
    var s = editor.selection(), text = editor.text(), inner = text.slice(s.from, s.to) || placeholder;
    editor.replace(s.from, s.to, mark + inner + mark, s.from + mark.length, s.from + mark.length + inner.length);
  }
  function heading(level) {
    var s = editor.selection(), text = editor.text();
    var start = lineStart(text, s.from), end = lineEnd(text, s.from);
    var words0 = text.slice(start, end).replace(/^#{1,6}\s*/, "") || words.heading;
    var line = "#".repeat(level) + " " + words0;
    editor.replace(start, end, line, start + level + 1, start + line.length);
  }
  function list(numbered) {
    var s = editor.selection(), text = editor.text();
    var start = lineStart(text, s.from), end = lineEnd(text, Math.max(s.from, s.to - (s.to > s.from ? 1 : 0)));
    var lines = text.slice(start, end).split("\n").map(function (line, i) {
      var bare = line.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, "") || words.item;
      return (numbered ? (i + 1) + ". " : "- ") + bare;
    });
    var out = lines.join("\n");
    editor.replace(start, end, out, start + (numbered ? 3 : 2), start + out.length);
  }
  function paragraph(markdown, selectFrom, selectLength) {  // a block of its own lines after the cursor's line
    var s = editor.selection(), text = editor.text(), at = lineEnd(text, s.to);
    var before = text.slice(0, at), lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    var insert = lead + markdown + "\n";  // before the line break already there: a blank line after it
    var first = at + lead.length + selectFrom;
    editor.replace(at, at, insert, first, first + selectLength);
  }
  function insertLink(item) {
    var s = editor.selection(), label = editor.text().slice(s.from, s.to) || item.title;
    var link = "[" + label.replace(/[[\]]/g, "") + "](kb:" + item.key + ")";
    editor.replace(s.from, s.to, link, s.from + 1, s.from + 1 + label.replace(/[[\]]/g, "").length);
  }
  function insertFact(item) {
    var s = editor.selection();
    editor.replace(s.from, s.to, item.reference, s.from + item.reference.length, s.from + item.reference.length);
  }
  function insertBlock(item) {
    var s = editor.selection(), inner = editor.text().slice(s.from, s.to).trim() || words.blockText;
    var open = "::: " + item.key + "\n";
    if (s.to > s.from) editor.replace(s.from, s.to, "", s.from, s.from);
    paragraph(open + inner + "\n:::", open.length, inner.length);
  }

  var actions = {
    heading: function (button) { heading(Number(button.dataset.level)); },
    bold: function () { wrap("**", words.bold); },
    italic: function () { wrap("_", words.italic); },
    bullets: function () { list(false); },
    numbers: function () { list(true); },
    article: function (button) { istokPicker.open("article", button, insertLink); },
    fact: function (button) { istokPicker.open("fact", button, insertFact); },
    block: function (button) { istokPicker.open("block", button, insertBlock); },
    image: function () { document.getElementById("image-file").click(); }
  };
  bar.addEventListener("click", function (ev) {
    var button = ev.target.closest("button[data-action]");
    if (button) actions[button.dataset.action](button);
  });
  // One tab stop for the whole toolbar; the arrows, Home and End move between its buttons.
  bar.addEventListener("keydown", function (ev) {
    var i = buttons.indexOf(document.activeElement), next = null;
    if (i < 0) return;
    if (ev.key === "ArrowRight") next = (i + 1) % buttons.length;
    else if (ev.key === "ArrowLeft") next = (i - 1 + buttons.length) % buttons.length;
    else if (ev.key === "Home") next = 0;
    else if (ev.key === "End") next = buttons.length - 1;
    if (next === null) return;
    ev.preventDefault();
    buttons[i].tabIndex = -1; buttons[next].tabIndex = 0; buttons[next].focus();
  });
  function shortcut(ev) {
    if (!(ev.ctrlKey || ev.metaKey) || ev.altKey || ev.shiftKey) return;
    var key = ev.key.toLowerCase();
    if (key !== "b" && key !== "i") return;
    ev.preventDefault(); ev.stopPropagation();
    actions[key === "b" ? "bold" : "italic"]();
  }
  editor.root.addEventListener("keydown", shortcut, true);
})();

// The pickers' dialog: articles and facts from the server as one types, channel blocks from the page.
var istokPicker = (function () {
  "use strict";
  var dialog = document.getElementById("picker"), bar = document.querySelector(".editor-toolbar");
  if (!dialog || !bar) return null;
  var words = bar.dataset, query = document.getElementById("picker-q");
  var results = document.getElementById("picker-results"), status = document.getElementById("picker-status");
  var title = document.getElementById("picker-title");
  var kind = null, chosen = null, timer = null, seq = 0;
  var blocks = JSON.parse(bar.dataset.blocks || "[]");
  var headings = {article: words.findArticle, fact: words.findFact, block: words.pickBlock};

  function item(label, detail, pick) {
    var li = document.createElement("li"), b = document.createElement("button");
    b.type = "button"; b.className = "pick";
    var strong = document.createElement("span"); strong.className = "pick-title"; strong.textContent = label;
    var small = document.createElement("span"); small.className = "muted"; small.textContent = detail;
    b.appendChild(strong); b.appendChild(document.createTextNode(" ")); b.appendChild(small);
    b.addEventListener("click", function () { var then = chosen; dialog.close(); then(pick); });
    li.appendChild(b);
    return li;
  }
  function list(items) {
    results.textContent = "";
    items.forEach(function (li) { results.appendChild(li); });
    status.textContent = items.length ? "" : words.nothing;
  }
  function blockItems() {
    var q = query.value.trim().toLowerCase();
    return blocks.filter(function (b) { return !q || b.key.indexOf(q) >= 0 || b.label.toLowerCase().indexOf(q) >= 0; })
      .map(function (b) { return item("::: " + b.key, b.label, b); });
  }
  function search() {
    if (kind === "block") { list(blockItems()); return; }
    var mine = ++seq, url = kind === "article" ? words.articles : words.facts;
    var params = new URLSearchParams({q: query.value});
    if (kind === "article" && words.locale) params.set("locale", words.locale);
    status.textContent = words.loading;
    fetch(url + "?" + params, {credentials: "same-origin",
                               headers: {"X-CSRF-Token": document.getElementById("source").dataset.csrf}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        if (mine !== seq) return;
        list(data.items.map(function (x) {
          return kind === "article"
            ? item(x.title, x.locale + " · " + x.key + (x.live ? "" : " · " + words.draft), x)
            : item(x.reference, x.value, x);
        }));
      })
      .catch(function () { if (mine === seq) status.textContent = words.failed; });
  }
  query.addEventListener("input", function () {  // the old choices go at once: Enter never picks a stale one
    clearTimeout(timer);
    results.textContent = "";
    status.textContent = words.loading;
    timer = setTimeout(search, 200);
  });
  dialog.addEventListener("keydown", function (ev) {  // ↓/↑ between the search field and the choices
    var picks = Array.prototype.slice.call(results.querySelectorAll("button.pick"));
    var i = picks.indexOf(document.activeElement);
    if (ev.key === "ArrowDown") { ev.preventDefault(); if (picks.length) picks[Math.min(i + 1, picks.length - 1)].focus(); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); if (i <= 0) query.focus(); else picks[i - 1].focus(); }
    else if (ev.key === "Enter" && document.activeElement === query && picks.length) { ev.preventDefault(); picks[0].click(); }
  });
  dialog.querySelector(".picker-close").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", function () { istokSourceEditor().focus(); });
  return {
    open: function (what, opener, then) {
      kind = what; chosen = then;
      title.textContent = headings[what];
      query.value = "";
      results.textContent = "";
      dialog.showModal();
      query.focus();
      search();
    }
  };
})();

// Images: a picked or pasted image is uploaded (/admin/assets) and its Markdown inserted at the
// cursor, with the alt text selected for the editor to write (a save without alt text is refused).
(function () {
  "use strict";
  var source = document.getElementById("source"), picker = document.getElementById("image-file");
  if (!source || !picker) return;
  var editor = istokSourceEditor(), words = picker.dataset;
  var status = document.getElementById("image-status");
  function insert(markdown) {  // as a paragraph of its own, after the line the cursor is on
    var text = editor.text(), sel = editor.selection(), eol = text.indexOf("\n", sel.to);
    var start = eol < 0 ? text.length : eol;
    var before = text.slice(0, start), lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    var altStart = start + lead.length + 2, altEnd = altStart + markdown.indexOf("]") - 2;
    editor.replace(start, start, lead + markdown + "\n", altStart, altEnd);
  }
  function upload(file) {
    var form = new FormData();
    form.append("file", file, file.name || "pasted-image");
    status.textContent = words.uploading + " " + (file.name || "");
    fetch(picker.dataset.upload, {method: "POST", body: form, credentials: "same-origin",
                                  headers: {"X-CSRF-Token": source.dataset.csrf}})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(d.detail); return d; }); })
      .then(function (d) {
        insert(d.markdown);
        status.textContent = words.added.replace("{size}", d.width + "×" + d.height);
      })
      .catch(function (e) { status.textContent = words.notAdded + " " + (e.message || e); });
  }
  picker.addEventListener("change", function () {
    if (picker.files && picker.files[0]) upload(picker.files[0]);
    picker.value = "";
  });
  function pasted(ev) {
    var items = (ev.clipboardData && ev.clipboardData.files) || [];
    for (var i = 0; i < items.length; i++) {
      if (/^image\//.test(items[i].type)) { ev.preventDefault(); ev.stopPropagation(); upload(items[i]); return; }
    }
  }
  source.addEventListener("paste", pasted);
  if (editor.root !== source) editor.root.addEventListener("paste", pasted, true);
})();
