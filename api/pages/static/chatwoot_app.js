// Istok inside Chatwoot (a Dashboard App): ask Chatwoot who the client is, show their context.
// Chatwoot answers `chatwoot-dashboard-app:fetch-info` with a JSON string
// {"event": "appContext", "data": {"conversation": …, "contact": …}}, and sends it again when the
// agent opens another conversation. Only messages from the configured Chatwoot origin count.
(function () {
  "use strict";
  var root = document.getElementById("cw-app");
  if (!root) return;
  var origin = root.getAttribute("data-origin");
  var contextUrl = root.getAttribute("data-context");
  var slot = document.getElementById("contact-context");
  var status = root.querySelector(".cw-status");
  var shown = null, seq = 0;
  var words = JSON.parse(root.getAttribute("data-words") || "{}");  // the operator's language

  function say(text) { status.textContent = text; status.hidden = !text; }

  function query(contact, conversation) {
    var q = new URLSearchParams();
    var account = conversation.account_id;
    if (contact.id != null && account != null) { q.set("account", String(account)); q.set("contact", String(contact.id)); }
    if (contact.phone_number) q.set("phone", String(contact.phone_number));
    if (contact.email) q.set("email", String(contact.email));
    if (contact.identifier) q.set("identifier", String(contact.identifier));
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    q.set("locale", lang);
    return q;
  }

  function show(contact, conversation) {
    var q = query(contact, conversation);
    var key = q.toString();
    if (key === shown) return;
    shown = key;
    var mine = ++seq;
    say(words.looking || "Looking the client up…");
    fetch(contextUrl + "?" + key, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); throw new Error("signed out"); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        if (mine !== seq) return;
        slot.innerHTML = html; // our own server-rendered, escaped fragment
        slot.hidden = false;
        slot.setAttribute("data-conversation", conversation.id != null ? String(conversation.id) : "");
        say("");
      })
      .catch(function (err) { if (mine === seq) { shown = null; say((words.failed || "Could not load the client:") + " " + err.message); } });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== window.parent) return; // only Chatwoot, our parent
    if (typeof event.data !== "string") return;
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || message.event !== "appContext" || !message.data) return;
    show(message.data.contact || {}, message.data.conversation || {});
  });

  if (window.parent !== window) {
    window.parent.postMessage("chatwoot-dashboard-app:fetch-info", origin);
  } else {
    say(words.outside || "This page is shown inside Chatwoot, as a Dashboard App of the conversation.");
  }
})();
