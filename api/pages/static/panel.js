// Istok operator panel: keyboard-first search and the operator card with copy-ready replies.
// `/` focuses search, ↑/↓ choose, Enter opens, `c` copies the chat reply. Talks only to /panel/*.
(function () {
  "use strict";
  var root = document.querySelector(".panel");
  var input = document.getElementById("pq");
  var localeSel = document.getElementById("plocale");
  var list = document.getElementById("p-results");
  var status = document.querySelector(".p-status");
  var cardBox = document.getElementById("p-card");
  var hits = [], active = -1, timer = null, seq = 0, card = null;
  // The operator's language: the page gives its words (data-words); English if it gave none.
  var words = JSON.parse(root.getAttribute("data-words") || "{}");
  function say(key, fallback, value) {
    var text = words[key] || fallback;
    return value == null ? text : text.replace("{}", function () { return String(value); });  // no $& patterns
  }

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }
  function select(i) {
    active = i;
    Array.prototype.forEach.call(list.children, function (li, j) {
      li.setAttribute("aria-selected", j === i ? "true" : "false");
    });
    if (i >= 0 && list.children[i]) {
      input.setAttribute("aria-activedescendant", list.children[i].id);
      list.children[i].scrollIntoView({block: "nearest"});
    }
  }
  function showHits(data) {
    hits = data.hits || [];
    list.textContent = "";
    hits.forEach(function (h, i) {
      var li = el("li", "p-hit");
      li.id = "p-hit-" + i; li.setAttribute("role", "option");
      li.appendChild(el("span", "p-hit-title", h.title));
      var snip = el("span", "p-hit-snip"); snip.innerHTML = h.snippet; // server-cleaned: text and <mark>
      li.appendChild(snip);
      if (h.internal) {
        var inn = el("span", "p-hit-internal"); inn.innerHTML = h.internal;
        inn.insertBefore(el("b", null, say("internal", "Internal: ")), inn.firstChild);
        li.appendChild(inn);
      }
      li.addEventListener("click", function () { select(i); open(i); });
      list.appendChild(li);
    });
    input.setAttribute("aria-expanded", hits.length ? "true" : "false");
    status.textContent = hits.length ? ((words.answers || {})[hits.length] || hits.length + " answers") : (input.value.trim() ? say("nothing", "Nothing found") : "");
    select(hits.length ? 0 : -1);
  }
  function search() {
    var q = input.value.trim(), mine = ++seq;
    if (!q) { showHits({hits: []}); return; }
    var url = "/panel/search?locale=" + encodeURIComponent(localeSel.value) + "&q=" + encodeURIComponent(q);
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) {
        if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); }
        return r.json();
      })
      .then(function (data) { if (mine === seq) showHits(data); })
      .catch(function () { status.textContent = say("failed", "Search failed"); });
  }
  function copy(text, button) {
    var done = function () {
      if (button) { var old = button.textContent; button.textContent = say("copied_mark", "Copied ✓"); setTimeout(function () { button.textContent = old; }, 1200); }
      status.textContent = say("copied", "Copied");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else { fallbackCopy(text); done(); }
  }
  function fallbackCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text; ta.setAttribute("readonly", ""); ta.style.position = "fixed"; ta.style.opacity = "0";
    document.body.appendChild(ta); ta.select();
    try { document.execCommand("copy"); } finally { ta.remove(); }
  }
  function reply(label, meta, text, channel) {
    var box = el("div", "p-reply");
    var head = el("div", "p-reply-head");
    head.appendChild(el("span", "p-reply-label", label + (meta ? " · " + meta : "")));
    var b = el("button", "p-copy", say("copy", "Copy"));
    b.type = "button"; b.setAttribute("data-copy", channel);
    b.setAttribute("aria-label", say("copy_reply_for", "Copy reply for {}", label));
    b.addEventListener("click", function () { copy(text, b); });
    head.appendChild(b);
    box.appendChild(head);
    var pre = el("pre", "p-reply-text", text);
    pre.tabIndex = 0; // scrollable, so it must be reachable by keyboard
    pre.setAttribute("aria-label", say("reply_label", "{} reply", label));
    box.appendChild(pre);
    return box;
  }
  function showCard(c) {
    card = c;
    cardBox.textContent = "";
    var h = el("h2", "p-card-title", c.title);
    h.tabIndex = -1;
    cardBox.appendChild(h);
    (c.announcements || []).forEach(function (n) { // outages and planned works: said first, while they last
      var line = el("p", "p-announcement", n.title + ": " + n.text);
      line.setAttribute("role", "status");
      cardBox.appendChild(line);
    });
    cardBox.appendChild(el("p", "p-card-meta", say("rev", "rev {}", c.revision) + " · " + c.content_hash.slice(0, 10) +
      (c.internal_count ? " · " + say("internal_count", "{} internal", c.internal_count) : "")));
    cardBox.appendChild(el("p", "p-summary", c.summary));
    var body = el("div", "p-body");
    body.innerHTML = c.html; // the operator renderer's sanitised HTML; internal notes are marked sections
    cardBox.appendChild(body);
    if (c.facts && c.facts.length) {
      var t = el("table", "p-facts"), tb = el("tbody");
      c.facts.forEach(function (f) {
        var tr = el("tr"); tr.appendChild(el("th", null, f.key)); tr.appendChild(el("td", null, f.value)); tb.appendChild(tr);
      });
      t.appendChild(tb);
      cardBox.appendChild(el("h3", null, say("facts", "Facts")));
      cardBox.appendChild(t);
    }
    cardBox.appendChild(el("h3", null, say("replies", "Replies")));
    cardBox.appendChild(reply(say("chat", "Chat"), "", c.replies.chat, "chat"));
    cardBox.appendChild(reply(say("sms", "SMS"), c.replies.sms_meta, c.replies.sms, "sms"));
    cardBox.appendChild(reply(say("email", "Email"), c.replies.email_subject, c.replies.email, "email"));
    var open = el("a", "p-open", say("open_help", "Open help page ↗")); open.href = c.url; open.target = "_blank"; open.rel = "noopener";
    cardBox.appendChild(open);
    cardBox.hidden = false;
    h.focus();
  }
  function openCard(locale, key, q) {
    var from = q ? "?q=" + encodeURIComponent(q) : ""; // the search it came from, counted as opened
    var who = document.getElementById("contact-context").getAttribute("data-contact-id"); // the client on the line
    if (who) from += (from ? "&" : "?") + "contact=" + encodeURIComponent(who);
    fetch("/panel/card/" + encodeURIComponent(locale) + "/" + encodeURIComponent(key) + from, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (c) { if (c.replies) { showCard(c); status.textContent = say("opened", "Opened: {}", c.title); } });
  }
  function open(i) {
    var h = hits[i];
    if (h) openCard(h.locale, h.key, input.value.trim());
  }
  // The client's served and suggested articles open their cards like search hits do.
  Array.prototype.forEach.call(document.querySelectorAll("#contact-context [data-card]"), function (b) {
    b.addEventListener("click", function () {
      var parts = b.getAttribute("data-card").split("/");
      openCard(parts[0], parts[1]);
    });
  });

  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 120); });
  localeSel.addEventListener("change", search);
  document.querySelector(".p-search").addEventListener("submit", function (e) { e.preventDefault(); search(); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" && hits.length) { e.preventDefault(); select((active + 1) % hits.length); }
    else if (e.key === "ArrowUp" && hits.length) { e.preventDefault(); select(active <= 0 ? hits.length - 1 : active - 1); }
    else if (e.key === "Enter") { e.preventDefault(); if (active >= 0) open(active); }
    else if (e.key === "Escape") { input.value = ""; showHits({hits: []}); }
  });
  document.addEventListener("keydown", function (e) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement && document.activeElement.tagName);
    // `/` jumps to search and is never typed: not from elsewhere, nor into an empty search field.
    var slashToSearch = e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey &&
      (!typing || (document.activeElement === input && !input.value));
    if (slashToSearch) { e.preventDefault(); input.focus(); input.select(); }
    else if ((e.key === "c" || e.key === "C") && !typing && !e.ctrlKey && !e.metaKey && card) {
      e.preventDefault(); copy(card.replies.chat, cardBox.querySelector("[data-copy=chat]"));
    }
  });
  // No autofocus on a plain load: `/` (the hint) focuses search. A deep link (?q=) searches and focuses,
  // so Enter opens the top answer; a `/` pressed then in the field is typed only once it holds text.
  if (root.dataset.q) { search(); input.focus(); }
})();
