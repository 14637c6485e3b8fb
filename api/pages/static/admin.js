// Istok editor: a live preview of every channel beside the source, and IVR audio from the server.
(function () {
  "use strict";
  var source = document.getElementById("source");
  if (!source) return;
  var box = document.querySelector(".previews");
  var problems = box.querySelector(".preview-problems");
  var timer = null, seq = 0;
  var headers = {"Content-Type": "application/json", "X-CSRF-Token": source.dataset.csrf};

  function pane(channel) { return box.querySelector('.pv[data-channel="' + channel + '"]'); }
  function warnings(div, list) {
    var old = div.querySelector(".warnings"); if (old) old.remove();
    if (!list || !list.length) return;
    var ul = document.createElement("ul"); ul.className = "warnings";
    list.forEach(function (w) { var li = document.createElement("li"); li.textContent = w; ul.appendChild(li); });
    div.appendChild(ul);
  }
  function meta(channel, c) {
    if (channel === "sms") return c.segments + " segment" + (c.segments === 1 ? "" : "s") + " · " + c.encoding;
    if (channel === "ivr") return "≈ " + Math.round(c.duration) + " s";
    if (channel === "email") return c.subject || "";
    return "";
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
      div.querySelector(".pv-meta").textContent = meta(channel, c);
      warnings(div, c.warnings);
    });
  }
  var last = null;
  box.querySelectorAll(".pv-format").forEach(function (picker) {
    picker.addEventListener("change", function () { if (last) show(last); });
  });
  function refresh() {
    var mine = ++seq;
    box.setAttribute("aria-busy", "true");
    fetch(source.dataset.preview, {method: "POST", headers: headers, credentials: "same-origin",
                                   body: JSON.stringify({source: source.value})})
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === seq) { last = data; show(data); box.setAttribute("aria-busy", "false"); } })
      .catch(function () { box.setAttribute("aria-busy", "false"); });
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
      .then(function () { listen.disabled = false; listen.textContent = "▶ Listen"; });
  });
})();

// Images: a picked or pasted image is uploaded (/admin/assets) and its Markdown inserted at the
// cursor, with the alt text selected for the editor to write (a save without alt text is refused).
(function () {
  "use strict";
  var source = document.getElementById("source"), picker = document.getElementById("image-file");
  if (!source || !picker) return;
  var status = document.getElementById("image-status");
  function insert(markdown) {  // as a paragraph of its own, after the line the cursor is on
    var text = source.value, eol = text.indexOf("\n", source.selectionEnd);
    var start = eol < 0 ? text.length : eol;
    var before = text.slice(0, start), lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    source.value = before + lead + markdown + "\n" + text.slice(start);
    var altStart = start + lead.length + 2, altEnd = altStart + markdown.indexOf("]") - 2;
    source.focus();
    source.setSelectionRange(altStart, altEnd);
    source.dispatchEvent(new Event("input", {bubbles: true}));
  }
  function upload(file) {
    var form = new FormData();
    form.append("file", file, file.name || "pasted-image");
    status.textContent = "Uploading " + (file.name || "image") + "…";
    fetch(picker.dataset.upload, {method: "POST", body: form, credentials: "same-origin",
                                  headers: {"X-CSRF-Token": source.dataset.csrf}})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(d.detail); return d; }); })
      .then(function (d) {
        insert(d.markdown);
        status.textContent = "Image added (" + d.width + "×" + d.height + "); describe it in the selected text.";
      })
      .catch(function (e) { status.textContent = "Image not added: " + (e.message || e); });
  }
  picker.addEventListener("change", function () {
    if (picker.files && picker.files[0]) upload(picker.files[0]);
    picker.value = "";
  });
  source.addEventListener("paste", function (ev) {
    var items = (ev.clipboardData && ev.clipboardData.files) || [];
    for (var i = 0; i < items.length; i++) {
      if (/^image\//.test(items[i].type)) { ev.preventDefault(); upload(items[i]); return; }
    }
  });
})();
