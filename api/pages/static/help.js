// Istok help center: search as you type (debounced, keyboard-usable) and the helpful vote.
// No framework and no third-party code; every page works without this file.
(function () {
  "use strict";

  function setupSearch(form) {
    var input = form.querySelector("input[type=search]");
    var list = form.querySelector("[role=listbox]");
    var status = form.querySelector("[data-status]");
    var timer = null, active = -1, items = [], seq = 0;

    function close() {
      list.hidden = true; input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant"); active = -1;
    }
    function select(i) {
      items.forEach(function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0) { input.setAttribute("aria-activedescendant", items[i].id); items[i].scrollIntoView({block: "nearest"}); }
      else { input.removeAttribute("aria-activedescendant"); }
    }
    function show(hits) {
      list.textContent = ""; items = [];
      hits.forEach(function (hit, i) {
        var li = document.createElement("li");
        li.id = "q-opt-" + i; li.setAttribute("role", "option"); li.dataset.href = hit.url;
        var title = document.createElement("span"); title.className = "s-title"; title.textContent = hit.title;
        var snip = document.createElement("span"); snip.className = "s-snip";
        snip.innerHTML = hit.snippet; // cleaned on the server to text and <mark> only
        li.appendChild(title); li.appendChild(snip);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); location.href = hit.url; });
        list.appendChild(li); items.push(li);
      });
      if (!hits.length) {
        var none = document.createElement("li"); none.className = "s-empty"; none.textContent = form.dataset.empty;
        if (form.dataset.contact) {  // "…or contact us": the way to a person, with the question carried over
          var own = form.dataset.contact.indexOf("/help/") === 0;
          var a = document.createElement("a");
          a.href = form.dataset.contact + (own ? "?q=" + encodeURIComponent(input.value.trim()) : "");
          a.textContent = form.dataset.contactLabel;
          a.addEventListener("mousedown", function (e) { e.stopPropagation(); });
          none.appendChild(document.createTextNode(" ")); none.appendChild(a);
        }
        list.appendChild(none);
      }
      list.hidden = false; input.setAttribute("aria-expanded", "true");
      status.textContent = hits.length ? hits.length + "" : form.dataset.empty;
      active = -1;
    }
    function lookup() {
      var q = input.value.trim(), mine = ++seq;
      if (q.length < 2) { close(); return; }
      fetch(form.dataset.suggest + "?q=" + encodeURIComponent(q), {headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {hits: []}; })
        .then(function (data) { if (mine === seq && input.value.trim() === q) show(data.hits || []); })
        .catch(function () {});
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 180); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && items.length) { e.preventDefault(); if (list.hidden) { list.hidden = false; } select((active + 1) % items.length); }
      else if (e.key === "ArrowUp" && items.length) { e.preventDefault(); select(active <= 0 ? items.length - 1 : active - 1); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); location.href = items[active].dataset.href; }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function post(form, body) {
    return fetch(form.action, {method: "POST", body: body, headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r; });
  }

  // After "no", the reasons form (kept in a <template>; without script the server's ?voted=no page offers it).
  function offerReasons(form) {
    var template = document.getElementById("vote-reasons");
    if (!template) return;
    var reasons = template.content.firstElementChild.cloneNode(true);
    form.parentNode.insertBefore(reasons, form.nextSibling);
    reasons.addEventListener("submit", function (e) {
      e.preventDefault();
      post(reasons, new URLSearchParams(new FormData(reasons)))
        .then(function () {
          reasons.querySelector("fieldset").hidden = true;
          reasons.querySelector(".vote-comment").hidden = true;
          reasons.querySelector(".vote-send").hidden = true;
          reasons.querySelector(".vote-status").textContent = reasons.dataset.thanks;
        })
        .catch(function () { reasons.submit(); });
    });
    var first = reasons.querySelector("input[type=radio]");
    if (first) first.focus();
  }

  function setupVote(form) {
    form.addEventListener("submit", function (e) {
      var button = e.submitter;
      if (!button || !window.fetch) return;
      e.preventDefault();
      var body = new URLSearchParams(new FormData(form));
      body.set("helpful", button.value);
      post(form, body)
        .then(function () {
          form.querySelector(".vote-buttons").hidden = true;
          form.querySelector(".vote-status").textContent = form.dataset.thanks;
          if (button.value === "no") offerReasons(form);
        })
        .catch(function () {
          var fallback = document.createElement("input");  // submit() sends no button: name the answer
          fallback.type = "hidden"; fallback.name = "helpful"; fallback.value = button.value;
          form.appendChild(fallback);
          form.submit();
        });
    });
  }

  document.querySelectorAll("form.search[data-suggest]").forEach(setupSearch);
  document.querySelectorAll(".vote form.vote-ask").forEach(setupVote);
})();
