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
