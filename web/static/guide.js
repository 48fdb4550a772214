/* Compact's guidance on the game screens, apart from compact.js (which keeps the
 * connection): each part is its own function, run on load and after every live update.
 *   1. tabs on a phone: one group of sections at a time, the phase's own task first;
 *   2. the announcement banner, until this browser dismisses it (per game, by seq);
 *   3. proposal drafts kept across reloads (localStorage), forgotten once sent;
 *   4. a confirmation of every submission that stays in view (#toast);
 *   5. a copy button (the console's projector link).
 * Nothing here is needed to play: without it every section shows, one under the other.
 */
(function () {
  "use strict";
  var body = document.body;
  var game = (location.pathname.match(/\/games\/([0-9a-f]{16})/) || [])[1] || "";
  function store(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) { /* private mode: nothing kept */ }
    return null;
  }

  /* 1. tabs ------------------------------------------------------------------------- */
  var PHASE_TAB = { lobby: "team", briefing: "team", negotiation: "deals",
    implementation: "decide", resolution: "results", ended: "results" };
  var shownPhase = null;
  function currentPhase() {
    var el = document.querySelector("#status .phase");
    if (!el) return "";
    var m = el.className.match(/phase-(\w+)/);
    return m ? m[1] : "";
  }
  function showTab(name) {
    body.setAttribute("data-tab", name);
    var links = document.querySelectorAll("nav.jump [data-tab-link]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("data-tab-link") === name) links[i].setAttribute("aria-current", "true");
      else links[i].removeAttribute("aria-current");
    }
  }
  function tabs() {
    if (!document.querySelector("nav.jump [data-tab-link]")) return;
    body.classList.add("tabbed");
    var phase = currentPhase();
    if (phase !== shownPhase) {  // a new phase opens on its own task
      shownPhase = phase;
      showTab(PHASE_TAB[phase] || "team");
    }
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("[data-tab-link]");
    if (link && body.classList.contains("tabbed")) showTab(link.getAttribute("data-tab-link"));
  });

  /* 2. announcement banner ------------------------------------------------------------ */
  var DISMISSED = "compact-dismissed-" + game;
  function announcement() {
    var box = document.getElementById("announce");
    if (!box || !box.hasAttribute("data-seq")) return;
    var seq = parseInt(box.getAttribute("data-seq"), 10);
    var gone = parseInt(store(DISMISSED) || "0", 10);
    box.hidden = seq <= gone;
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-dismiss]");
    if (!button) return;
    store(DISMISSED, button.getAttribute("data-dismiss"));
    announcement();
  });

  /* 3. proposal drafts ---------------------------------------------------------------- */
  var DRAFT = "compact-draft-" + game;
  function builderForm() { return document.querySelector("#builder form"); }
  function saveDraft() {
    var form = builderForm();
    if (!form) return;
    var fields = {};
    var els = form.elements;
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.name || el.type === "hidden" || el.type === "submit") continue;
      if (el.type === "checkbox" || el.type === "radio") fields[el.id] = el.checked;
      else fields[el.id] = el.value;
    }
    var rows = form.querySelector("[name=nterms]"), conds = form.querySelector("[name=nconds]");
    var counter = form.querySelector("[name=proposal_id]");
    store(DRAFT, JSON.stringify({ fields: fields, counter: counter ? counter.value : "",
      nterms: rows ? rows.value : "1", nconds: conds ? conds.value : "0" }));
  }
  function restoreDraft() {
    var form = builderForm();
    if (!form || form.getAttribute("data-restored")) return;
    form.setAttribute("data-restored", "1");
    if (document.querySelector("#builder > .msg-ok")) { store(DRAFT, null); return; }  // just sent
    var draft;
    try { draft = JSON.parse(store(DRAFT) || "null"); } catch (e) { draft = null; }
    if (!draft) return;
    var counter = form.querySelector("[name=proposal_id]");
    var rows = form.querySelector("[name=nterms]"), conds = form.querySelector("[name=nconds]");
    /* Only into the same form: same counter, same number of rows (the rows come from the
       server; a draft with more rows waits for the person to add them). */
    if ((counter ? counter.value : "") !== draft.counter) return;
    if (rows && rows.value !== draft.nterms) return;
    if (conds && conds.value !== draft.nconds) return;
    var restored = false;
    for (var id in draft.fields) {
      var el = document.getElementById(id);
      if (!el || !form.contains(el)) continue;
      if (el.type === "checkbox" || el.type === "radio") el.checked = !!draft.fields[id];
      else el.value = draft.fields[id];
      restored = true;
    }
    if (restored) {
      var note = document.createElement("p");
      note.className = "hint draft-note";
      note.textContent = words.draft_restored || "";
      form.insertBefore(note, form.firstChild);
    }
  }
  document.addEventListener("input", function (e) {
    if (e.target.closest && e.target.closest("#builder form")) saveDraft();
  });
  document.addEventListener("change", function (e) {
    if (e.target.closest && e.target.closest("#builder form")) saveDraft();
  });

  /* 4. a confirmation that stays in view ------------------------------------------------ */
  var words = {};
  try { words = JSON.parse(document.getElementById("guide-words").textContent); } catch (e) { /* none */ }
  var toastTimer = null;
  function toast(text, ok) {
    var box = document.getElementById("toast");
    if (!box || !text) return;
    box.textContent = text;
    box.className = "toast " + (ok ? "ok" : "error");
    box.hidden = false;
    if (toastTimer) clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  /* A confirmation belongs to the phase it was given in ("you may change them until the
     phase ends"): a new phase takes it away, and it would cover the results. */
  var toastPhase = null;
  function toastFollowsPhase() {
    var phase = currentPhase();
    if (toastPhase !== null && phase !== toastPhase) {
      var box = document.getElementById("toast");
      if (box) box.hidden = true;
    }
    toastPhase = phase;
  }
  /* On the request itself, not on its form: a live update may replace the form (the
     decisions, once in, re-render the section) before the answer arrives. */
  document.addEventListener("htmx:beforeSend", function (e) {
    var xhr = e.detail.xhr;
    if (!xhr || !e.detail.requestConfig || e.detail.requestConfig.verb !== "post") return;
    xhr.addEventListener("loadend", function () {
      var holder = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var said = holder.querySelector(".msg-ok, .msg-error, .field-error");
      if (said) toast(said.textContent.trim(), said.classList.contains("msg-ok"));
    });
  });

  /* 5. copy a link ------------------------------------------------------------------- */
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () { toast(words.copied, true); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else { document.execCommand("copy"); done(); }
  });

  function all() { tabs(); announcement(); restoreDraft(); toastFollowsPhase(); }
  /* after every live update (compact.js hands its sections to htmx as out-of-band swaps)
     and every swap of a form's answer; once per turn of the event loop */
  var queued = false;
  function soon() {
    if (queued) return;
    queued = true;
    setTimeout(function () { queued = false; all(); }, 0);
  }
  document.addEventListener("htmx:oobAfterSwap", soon);
  document.addEventListener("htmx:afterSwap", soon);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
