/* Compact's little JS. The live updates themselves are htmx-ext-ws's job: the server
 * renders each audience's sections as HTML (websocket ?format=html) and the extension
 * swaps them in by id (hx-swap-oob), reconnecting with backoff; on every (re)connect the
 * server sends the whole current screen, so a reconnect is also the catch-up. That kept
 * the JSON views off the client (no second renderer in JS). What is left here:
 *   1. the connection banner (lost / back online) and a reload when the facilitator
 *      moves this seat to another team;
 *   2. keeping forms a person is filling in when an update would re-render them
 *      unchanged (data-sig);
 *   3. the live countdown, the implementation budget, the scenario's team choices.
 */
(function () {
  "use strict";
  var body = document.body;
  var serverNow = parseFloat(body.getAttribute("data-server-now"));
  var offset = isNaN(serverNow) ? 0 : serverNow * 1000 - Date.now();

  /* 1. connection banner ------------------------------------------------------------ */
  /* The banner's words come translated from the page (base.html, #words). */
  var words = {};
  try { words = JSON.parse(document.getElementById("words").textContent); } catch (e) { /* none */ }
  var banner = document.getElementById("conn-banner");
  var lost = false;
  function say(text, kind) {
    if (!banner) return;
    banner.textContent = text;
    banner.className = "banner " + kind;
    banner.hidden = false;
  }
  document.addEventListener("htmx:wsOpen", function (e) {
    window.compactSocket = e.detail.event && e.detail.event.target;
    if (lost) {
      say(words.back_online, "ok");
      setTimeout(function () { if (!lost && banner) banner.hidden = true; }, 4000);
    }
    lost = false;
    body.setAttribute("data-connected", "1");
  });
  /* htmx-ext-ws retries only abnormal closes (1006, 1011–1013). A socket closed any other
     way (a proxy, a heartbeat that went unanswered, a tab that closed it) is reopened
     here by replacing the ws-connect element: the extension then connects afresh and
     the server's first message is the whole current screen. */
  var retries = 0, pending = null, lastHeard = Date.now();
  var EXTENSION_RETRIES = [1006, 1011, 1012, 1013];
  function reconnect() {
    pending = null;
    var old = document.getElementById("live");
    if (!old || !window.htmx) return;
    var fresh = old.cloneNode(false);
    old.parentNode.replaceChild(fresh, old);
    window.htmx.process(fresh);
  }
  function reconnectSoon(ms) {
    if (pending) clearTimeout(pending);
    pending = setTimeout(reconnect, ms);
  }
  document.addEventListener("htmx:wsClose", function (e) {
    var code = e.detail.event ? e.detail.event.code : 0;
    lost = true;
    body.setAttribute("data-connected", "0");
    if (code === 4403) { say(words.removed, "error"); return; }
    if (code === 4401 || code === 4404) { say(words.gone, "error"); return; }
    say(words.lost, "warn");
    if (EXTENSION_RETRIES.indexOf(code) < 0) {
      retries += 1;
      reconnectSoon(Math.min(15000, 500 * Math.pow(2, retries)) * (0.5 + Math.random() / 2));
    }
  });
  window.addEventListener("offline", function () {
    say(words.offline, "warn");
  });
  window.addEventListener("online", function () { if (lost) reconnectSoon(100); });
  /* Heartbeat: a socket that hears nothing for a minute is closed and reopened. */
  setInterval(function () {
    var ws = window.compactSocket;
    if (!ws || ws.readyState !== 1) return;
    if (Date.now() - lastHeard > 60000) { ws.close(4000, "heartbeat"); return; }
    ws.send(JSON.stringify({ type: "ping" }));
  }, 25000);
  document.addEventListener("htmx:wsOpen", function () { retries = 0; lastHeard = Date.now(); });
  document.addEventListener("htmx:wsAfterMessage", function () {
    lastHeard = Date.now();
    var mark = document.getElementById("audience-mark");
    var mine = body.getAttribute("data-audience");
    if (mark && mine && mark.getAttribute("data-key") !== mine) window.location.reload();
    tick();
    budget();
  });

  /* 2. keep a form being filled in: skip a swap that would render it unchanged --------- */
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var target = e.detail.target;
    var incoming = e.detail.fragment && e.detail.fragment.firstElementChild;
    var sig = target && target.getAttribute("data-sig");
    if (sig && incoming && incoming.getAttribute("data-sig") === sig) e.detail.shouldSwap = false;
  });
  /* A counter-proposal loads into the builder: take the keyboard there. */
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.elt && e.detail.elt.id === "builder") {
      var h = document.getElementById("builder-h");
      if (h && e.detail.requestConfig && e.detail.requestConfig.verb === "get") h.focus();
    }
  });

  /* 3a. countdown ------------------------------------------------------------------- */
  function clock(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var m = Math.floor(s / 60);
    return m + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
  }
  function tick() {
    var els = document.querySelectorAll(".timer");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var deadline = parseFloat(el.getAttribute("data-deadline"));
      var remaining = parseFloat(el.getAttribute("data-remaining"));
      var text = "";
      if (el.getAttribute("data-running") === "1" && !isNaN(deadline)) {
        text = clock(deadline - (Date.now() + offset) / 1000);
      } else if (!isNaN(remaining)) {
        text = clock(remaining) + " ⏸";
      }
      if (el.textContent !== text) el.textContent = text;
    }
  }
  setInterval(tick, 1000);

  /* 3b. implementation budget, live (the server checks it again on submit) ------------- */
  function budget() {
    var form = document.getElementById("impl-form");
    if (!form) return;
    var treasury = parseFloat(form.getAttribute("data-treasury")) || 0;
    /* The rulebook's cost formula, as the view document states it (game_rules/rulebook.py
       cost_formula): this script keeps no copy of its numbers or of which policy is which. */
    var rule;
    try { rule = JSON.parse(form.getAttribute("data-costs") || "{}"); } catch (err) { return; }
    var spending = rule.spending_policies || [];
    function val(el) { var v = parseFloat(el.value); return isNaN(v) ? 0 : v; }
    var enforcement = 0, cost = 0;
    var policies = form.querySelectorAll("[data-policy]");
    for (var i = 0; i < policies.length; i++) {
      var p = policies[i], name = p.getAttribute("data-policy");
      if (name === rule.enforcement_policy) enforcement = val(p);
      else if (spending.indexOf(name) >= 0) cost += val(p);
    }
    var terms = form.querySelectorAll("[data-full-cost]");
    for (var j = 0; j < terms.length; j++) {
      var t = terms[j], share = val(t) / 100;
      cost += (parseFloat(t.getAttribute("data-full-cost")) || 0) * share;
      if (t.getAttribute("data-type") === rule.enforcement_term) {
        enforcement = Math.max(enforcement, (parseFloat(t.getAttribute("data-amount")) || 0) * share);
      }
    }
    cost += Math.min(enforcement, rule.enforcement_cap || 0) * (rule.enforcement_per_point || 0);
    var left = treasury - cost;
    var costEl = document.getElementById("impl-cost"), leftEl = document.getElementById("impl-left");
    if (costEl) costEl.textContent = "€" + Math.round(cost) + "m";
    if (leftEl) {
      leftEl.textContent = "€" + Math.round(left) + "m";
      leftEl.className = left < 0 ? "over" : "";
    }
  }
  document.addEventListener("input", function (e) {
    if (e.target.closest && e.target.closest("#impl-form")) budget();
  });

  /* 3c. start page: show the team choices of the chosen scenario only ------------------ */
  function scenarioTeams() {
    var chosen = document.querySelector("input[name=scenario]:checked");
    var sets = document.querySelectorAll(".teams-for");
    for (var i = 0; i < sets.length; i++) {
      var on = chosen && sets[i].getAttribute("data-scenario") === chosen.value;
      sets[i].hidden = !on;
      sets[i].disabled = !on;
    }
  }
  document.addEventListener("change", function (e) {
    if (e.target.name === "scenario") scenarioTeams();
  });

  /* 3d. a form sent well is emptied (in this file, not an inline handler: the pages'
     Content-Security-Policy allows scripts from /static only) -------------------------- */
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.target && e.target.closest && e.target.closest("form[data-reset-on-success]");
    if (!form || !e.detail.successful) return;
    if (form.getAttribute("data-reset-on-success") !== "text") { form.reset(); return; }
    var boxes = form.querySelectorAll("textarea");  // the chat keeps its channel
    for (var i = 0; i < boxes.length; i++) boxes[i].value = "";
  });

  function ready() { tick(); budget(); scenarioTeams(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
