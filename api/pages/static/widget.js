/* Istok help widget: <script src="https://help.example/widget.js" data-locale="ru" async></script>
   A help button and a panel inside a Shadow DOM: the host page's CSS cannot reach in, ours cannot leak out.
   No third-party code; it talks only to the server it was loaded from. */
(function () {
  "use strict";
  var CONFIG = __ISTOK_CONFIG__;
  var script = document.currentScript;
  if (!script || window.__istokWidget) return;
  window.__istokWidget = true;
  var base = new URL(script.src, location.href).origin;
  var locale = (script.getAttribute("data-locale") || document.documentElement.lang || "ru").slice(0, 2).toLowerCase();
  var t = CONFIG.phrases[locale] || CONFIG.phrases.en;
  if (!CONFIG.phrases[locale]) locale = "en";

  var CSS = [
    ":host{all:initial !important}",
    "*{box-sizing:border-box}",
    ".w{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1f2330}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:999px;background:var(--c);color:#fff;",
    "font:600 15px/1 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;padding:14px 20px;box-shadow:0 8px 24px rgba(0,0,0,.25);cursor:pointer;display:flex;gap:8px;align-items:center}",
    ".launcher:focus-visible,button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}",
    ".q{display:inline-grid;place-items:center;width:20px;height:20px;border-radius:50%;background:#fff;color:var(--c);font-weight:800;font-size:13px}",
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:min(380px,calc(100vw - 24px));max-height:min(620px,calc(100vh - 110px));",
    "display:flex;flex-direction:column;background:#fff;border-radius:16px;box-shadow:0 18px 48px rgba(0,0,0,.28);overflow:hidden}",
    ".panel[hidden]{display:none}",
    ".head{background:var(--c);color:#fff;padding:14px 16px;display:flex;justify-content:space-between;align-items:center}",
    ".head h2{margin:0;font-size:16px}",
    ".x{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:2px 6px;border-radius:6px}",
    ".body{padding:14px 16px;overflow:auto;flex:1}",
    ".intro{margin:0 0 8px;color:#5b6070}",
    ".note{background:#fff4d6;border:1px solid #f0c36d;color:#3d2e00;border-radius:8px;padding:6px 10px;margin:0 0 8px}",
    "form{display:flex;gap:8px;padding:12px;border-top:1px solid #e3e5ec}",
    "input{flex:1;min-width:0;font:inherit;padding:10px 12px;border:1.5px solid #cfd3de;border-radius:10px;color:#1f2330;background:#fff}",
    ".send{font:inherit;font-weight:600;border:0;border-radius:10px;background:var(--c);color:#fff;padding:0 14px;cursor:pointer}",
    ".msg-q{margin:10px 0 6px;margin-left:auto;background:#eef0fb;border-radius:12px 12px 2px 12px;padding:8px 12px;width:fit-content;max-width:85%}",
    ".card{border:1px solid #e3e5ec;border-radius:12px;padding:12px 14px;margin:6px 0 10px}",
    ".card h3{margin:0 0 6px;font-size:15px}",
    ".answer{font-size:14px;max-height:260px;overflow:auto}",
    ".answer h2{font-size:14px;margin:10px 0 4px}.answer p{margin:6px 0}.answer ul,.answer ol{padding-left:20px;margin:6px 0}",
    "a{color:var(--c)}",
    ".more{display:inline-block;margin-top:8px;font-weight:600}",
    ".alts{margin:6px 0 0;padding-left:18px}",
    ".muted{color:#5b6070;font-size:13px;margin:8px 0 2px}",
    ".contact{display:inline-block;margin-top:6px;background:var(--c);color:#fff;text-decoration:none;padding:8px 14px;border-radius:10px;font-weight:600}",
    "@media (max-width:480px){.panel{right:12px;left:12px;width:auto;bottom:76px}.launcher{right:12px;bottom:12px}}"
  ].join("");

  // A tag of our own, so the site's element rules (div{…}) never match the host itself.
  var host = document.createElement("istok-help");
  host.setAttribute("data-istok-widget", "");
  var root = host.attachShadow({mode: "open"});
  var wrap = el("div", {"class": "w"});
  wrap.style.setProperty("--c", CONFIG.colour);
  var style = document.createElement("style");
  style.textContent = CSS;

  var launcher = el("button", {"class": "launcher", type: "button", "aria-expanded": "false", "aria-controls": "istok-panel"});
  launcher.appendChild(el("span", {"class": "q", "aria-hidden": "true"}, "?"));
  launcher.appendChild(el("span", {}, t.widget_title));

  var panel = el("section", {"class": "panel", id: "istok-panel", role: "dialog", "aria-label": t.widget_title, hidden: ""});
  var head = el("div", {"class": "head"});
  head.appendChild(el("h2", {}, CONFIG.brand + " · " + t.widget_title));
  var closer = el("button", {"class": "x", type: "button", "aria-label": t.close}, "×");
  head.appendChild(closer);
  var body = el("div", {"class": "body", "aria-live": "polite"});
  body.appendChild(el("p", {"class": "intro"}, t.widget_intro));
  var form = el("form", {});
  var input = el("input", {type: "text", name: "q", maxlength: "500", autocomplete: "off", placeholder: t.search_placeholder, "aria-label": t.ask});
  form.appendChild(input);
  form.appendChild(el("button", {"class": "send", type: "submit"}, t.send));
  panel.appendChild(head); panel.appendChild(body); panel.appendChild(form);
  wrap.appendChild(launcher); wrap.appendChild(panel);
  root.appendChild(style); root.appendChild(wrap);
  (document.body || document.documentElement).appendChild(host);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }
  var told = false;
  function announce() { // outages and planned works first, while they last (fetched once, on opening)
    told = true;
    fetch(base + "/widget/announcements?locale=" + encodeURIComponent(locale), {mode: "cors", credentials: "omit"})
      .then(function (r) { return r.ok ? r.json() : {announcements: []}; })
      .then(function (d) {
        d.announcements.forEach(function (n) {
          var p = el("p", {"class": "note", role: "status"});
          p.appendChild(el("strong", {}, n.title + " "));
          p.appendChild(document.createTextNode(n.text + " "));
          p.appendChild(link(n.url, t.read_more));
          body.insertBefore(p, body.firstChild);
        });
      }).catch(function () {});
  }
  function toggle(open) {
    if (open && !told) announce();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) input.focus(); else launcher.focus();
  }
  launcher.addEventListener("click", function () { toggle(panel.hidden); });
  closer.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });

  function link(href, text, cls) {
    var a = el("a", {href: href, target: "_blank", rel: "noopener"}, text);
    if (cls) a.className = cls;
    return a;
  }
  function show(q, data) {
    var card = el("div", {"class": "card", "data-status": data.status});
    if (data.status === "answered") {
      card.appendChild(el("h3", {}, data.title));
      var answer = el("div", {"class": "answer"});
      // The compact answer (summary, steps, a.more to the full article), sanitised on the server.
      answer.innerHTML = data.html;
      answer.querySelectorAll("a").forEach(function (a) { a.target = "_blank"; a.rel = "noopener"; });
      card.appendChild(answer);
      var more = answer.querySelector("a.more");
      if (more) {  // the full article's link goes under the answer's scroll box, always in sight
        var holder = more.parentNode;
        more.textContent = t.read_more + " →";
        card.appendChild(more);
        if (holder !== answer && !holder.textContent.trim()) holder.remove();
      } else card.appendChild(link(data.url, t.read_more + " →", "more"));
    } else {
      card.appendChild(el("p", {}, t.handoff));
      card.appendChild(link(data.contact_url, t.contact_us, "contact"));
    }
    if (data.alternatives && data.alternatives.length) {
      card.appendChild(el("p", {"class": "muted"}, t.also));
      var ul = el("ul", {"class": "alts"});
      data.alternatives.slice(0, 3).forEach(function (alt) {
        var li = el("li", {}); li.appendChild(link(alt.url, alt.title)); ul.appendChild(li);
      });
      card.appendChild(ul);
    }
    body.appendChild(card);
    card.scrollIntoView({block: "nearest"});
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    if (!q) return;
    input.value = "";
    body.appendChild(el("p", {"class": "msg-q"}, q));
    var wait = el("p", {"class": "muted"}, t.searching);
    body.appendChild(wait);
    fetch(base + "/widget/answer?locale=" + encodeURIComponent(locale) + "&q=" + encodeURIComponent(q),
          {mode: "cors", credentials: "omit"})
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (data) { wait.remove(); show(q, data); })
      .catch(function () { wait.remove(); show(q, {status: "handoff", contact_url: base + "/help/" + locale + "/"}); });
  });
})();
