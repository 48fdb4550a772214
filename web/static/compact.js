/* Compact's little JS. The server renders each audience's screen as HTML sections
 * (websocket ?format=html) and sends a connection only the sections that changed since
 * its last frame; htmx swaps them in by id (hx-swap-oob). On every (re)connect the server
 * sends the whole current screen, so a reconnect is also the catch-up. That keeps the JSON
 * views off the client (no second renderer in JS). What is here:
 *   1. the live connection (docs/websocket.md): websocket, or server-sent events when the
 *      upgrade fails; an application heartbeat that finds a dead connection in 2.5
 *      heartbeats without waiting for the browser; a banner that tells the truth; sends
 *      made while offline queued (chat, with an idempotency key) or refused in words;
 *   2. keeping forms a person is filling in when an update would re-render them
 *      unchanged (data-sig);
 *   3. the live countdown, the implementation budget, the scenario's team choices.
 */
(function () {
  "use strict";
  var body = document.body;
  var serverNow = parseFloat(body.getAttribute("data-server-now"));
  var offset = isNaN(serverNow) ? 0 : serverNow * 1000 - Date.now();

  /* 1. the live connection ---------------------------------------------------------- */
  /* The banner's words come translated from the page (base.html, #words). */
  var words = {};
  try { words = JSON.parse(document.getElementById("words").textContent); } catch (e) { /* none */ }
  var banner = document.getElementById("conn-banner");
  var liveEl = document.getElementById("live");
  var HB = (parseFloat(liveEl && liveEl.getAttribute("data-heartbeat")) || 5) * 1000;
  var live = {
    mode: "ws",          /* "sse" once the websocket upgrade failed and events worked */
    sock: null,          /* the WebSocket or EventSource in use */
    opened: false,       /* has the current one opened? */
    since: 0,            /* when it was started */
    heard: 0,            /* when it last said anything */
    seq: null,           /* seq of the last frame applied */
    welcome: null,       /* the game's seq when this connection opened */
    state: "connecting", /* connecting | up | down | gone */
    wasDown: false,      /* say "back online" once up again */
    everUp: false,       /* has this page had a live connection yet? */
    beat: null,          /* events: the URL the page POSTs every heartbeat (welcome) */
    wsFailures: 0,
    retries: 0,
    pending: null
  };
  var hideBanner = null;
  function say(text, kind) {
    if (!banner) return;
    if (hideBanner) { clearTimeout(hideBanner); hideBanner = null; }
    banner.textContent = text;
    banner.className = "banner " + kind;
    banner.hidden = false;
  }
  function setState(state) {
    live.state = state;
    body.setAttribute("data-live", state);
    body.setAttribute("data-connected", state === "up" ? "1" : "0");
  }
  function sayDown() {
    live.wasDown = true;
    say(navigator.onLine === false ? words.offline : words.lost, "warn");
  }
  function becameUp() {
    setState("up");
    live.everUp = true;
    live.retries = 0;
    if (live.wasDown || (banner && !banner.hidden && banner.className.indexOf("warn") >= 0)) {
      live.wasDown = false;
      say(words.back_online, "ok");
      hideBanner = setTimeout(function () { if (banner) banner.hidden = true; }, 4000);
    }
    flush();
  }
  function note() {
    /* Discreet: one line in the page's flow, not the banner (the page works, slower). */
    if (document.getElementById("conn-mode") || !liveEl) return;
    var p = document.createElement("p");
    p.id = "conn-mode";
    p.className = "muted conn-mode";
    p.setAttribute("role", "note");
    p.textContent = words.fallback;
    var main = document.getElementById("main");
    if (main) main.insertBefore(p, main.firstChild);
  }
  function url(attr) {
    var u = liveEl.getAttribute(attr);
    return live.seq === null ? u : u + "&last_seq=" + live.seq;
  }

  /* One frame: JSON (welcome, pong, result, error) or HTML sections behind a head
     `<!--compact seq=N base=M keep=chat-log:K-->` (docs/websocket.md, Small updates). */
  var HEAD = /^<!--compact ([^>]*?)-->/;
  function onFrame(text) {
    live.heard = Date.now();
    if (text.charAt(0) === "{") {
      var msg;
      try { msg = JSON.parse(text); } catch (e) { return; }
      if (msg.type === "welcome") { live.welcome = msg.seq; live.beat = msg.beat || null; }
      return;
    }
    var head = HEAD.exec(text), f = {};
    if (head) {
      head[1].split(" ").forEach(function (kv) { var i = kv.indexOf("="); f[kv.slice(0, i)] = kv.slice(i + 1); });
      if (f.base !== undefined && live.seq !== null && +f.base !== live.seq) { resync(); return; }
    }
    if (forAnotherAudience(text)) { window.location.reload(); return; }
    if (window.htmx) window.htmx.swap(body, text, { swapStyle: "none" });
    if (f.keep) {
      f.keep.split(",").forEach(function (k) {
        var parts = k.split(":"), list = document.querySelector("#" + parts[0] + ">ul"), n = +parts[1];
        while (list && list.children.length > n) list.removeChild(list.lastElementChild);
      });
    }
    if (f.seq !== undefined) live.seq = +f.seq;
    if (live.state !== "up" && head && (live.welcome === null || live.seq >= live.welcome)) becameUp();
    var mark = document.getElementById("audience-mark");
    var mine = body.getAttribute("data-audience");
    if (mark && mine && mark.getAttribute("data-key") !== mine) window.location.reload();
    tick();
    budget();
  }
  /* A screen for another audience (the lobby's seat got its team, the facilitator moved
     it): reload before htmx swaps sections this page does not have (each would log
     htmx:oobErrorNoTarget). */
  function forAnotherAudience(text) {
    var m = /id="audience-mark" data-key="([^"]*)"/.exec(text);
    var mine = body.getAttribute("data-audience");
    return !!(m && mine && m[1] !== mine && m[1] !== "reload");
  }
  function resync() {
    /* A frame's base is not the last one applied: ask for the whole screen again. */
    if (live.mode === "ws" && live.sock && live.opened) live.sock.send(JSON.stringify({ type: "resync" }));
    else restart(0);
  }

  function openWs() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + url("data-ws"));
    start(ws);
    window.compactSocket = ws;
    ws.onopen = function () {
      if (live.sock !== ws) return;
      live.opened = true; live.heard = Date.now(); live.wsFailures = 0;
      ws.send(JSON.stringify({ type: "ping" }));
    };
    ws.onmessage = function (e) { if (live.sock === ws) onFrame(e.data); };
    ws.onclose = function (e) {
      if (live.sock !== ws) return;
      if (!live.opened) live.wsFailures += 1;
      lost(e.code);
    };
  }
  function openSse() {
    var es = new EventSource(url("data-sse"));
    start(es);
    es.onopen = function () { if (live.sock === es) { live.opened = true; live.heard = Date.now(); } };
    es.onmessage = function (e) { if (live.sock === es) onFrame(e.data); };
    es.addEventListener("ping", function () { if (live.sock === es) live.heard = Date.now(); });
    es.addEventListener("gone", function (e) { if (live.sock === es) { es.close(); lost(+e.data || 4404); } });
    es.onerror = function () {
      es.close();  /* no automatic retry: this file decides when and how */
      if (live.sock !== es) return;
      /* Events did not open either: the network is down, not just websockets. */
      if (!live.opened) { live.mode = "ws"; live.wsFailures = 0; }
      lost(0);
    };
  }
  function start(sock) {
    live.sock = sock; live.opened = false; live.since = Date.now(); live.welcome = null; live.beat = null;
    setState("connecting");  /* up again only once its first frame is in */
  }
  function connect() {
    live.pending = null;
    if (!liveEl || live.state === "gone") return;
    if (live.mode === "ws" && live.wsFailures >= 2 && window.EventSource) { live.mode = "sse"; note(); }
    if (live.mode === "sse") openSse(); else openWs();
  }
  function drop() {
    /* Forget the current connection without waiting for the browser to close it (a dead
       connection's closing handshake can take a minute): its handlers check live.sock. */
    var sock = live.sock;
    live.sock = null; live.opened = false;
    if (sock) { try { sock.close(); } catch (e) { /* already closed */ } }
  }
  function restart(ms) {
    drop();
    if (live.pending) clearTimeout(live.pending);
    live.pending = setTimeout(connect, ms);
  }
  function lost(code) {
    drop();
    if (code === 4403) { setState("gone"); say(words.removed, "error"); return; }
    if (code === 4400 || code === 4401 || code === 4404) { setState("gone"); say(words.gone, "error"); return; }
    setState("down");
    /* Before the first frame, the first failures are the search for a way through (a
       websocket refused, then events): not worth a banner yet. */
    if (live.everUp || live.retries >= 2) sayDown();
    live.retries += 1;
    restart(Math.min(15000, 250 * Math.pow(2, live.retries)) * (0.5 + Math.random() / 2));
  }
  /* The heartbeat: a websocket pings every heartbeat (the server answers, and closes a
     socket that stops pinging); events get a ping from the server, and the page beats
     back over HTTP (the welcome's `beat`), so the server also closes a stream whose page
     went silent and the console's presence follows. Silent for 2.5 heartbeats, the
     connection is taken for dead and replaced at once. */
  setInterval(function () {
    if (live.mode === "ws" && live.sock && live.opened) {
      try { live.sock.send(JSON.stringify({ type: "ping" })); } catch (e) { /* closing */ }
    }
    if (live.mode === "sse" && live.sock && live.opened && live.beat && window.fetch) {
      var es = live.sock;
      fetch(live.beat, { method: "POST", credentials: "same-origin", keepalive: true })
        .then(function (r) { if (r.status === 404 && live.sock === es) lost(0); })  /* closed there */
        .catch(function () { /* offline: the silence check above replaces the stream */ });
    }
  }, HB);
  setInterval(function () {
    if (!live.sock) return;
    var quiet = Date.now() - (live.opened ? live.heard : live.since);
    if (quiet > 2.5 * HB) {
      if (!live.opened && live.mode === "ws") live.wsFailures += 1;  /* an upgrade that hangs */
      lost(0);
    }
  }, 500);
  window.addEventListener("offline", function () { if (live.state !== "gone") sayDown(); });
  /* Back online: a socket that survived may have missed frames, one that died has not
     noticed yet; either way a fresh connection brings the whole screen, then "back". */
  window.addEventListener("online", function () { if (live.state !== "gone") restart(50); });

  /* Sends while offline. Every form sent gets an Idempotency-Key; a chat message that
     cannot go now is queued and sent once, with the same key, when the connection is back
     (the server does not say it twice); any other action is refused in words next to it. */
  var csrf = {};
  try { csrf = JSON.parse(body.getAttribute("hx-headers") || "{}"); } catch (e) { /* none */ }
  var OUTBOX = "compact-outbox:" + location.pathname;
  var outbox = [];
  try { outbox = JSON.parse(sessionStorage.getItem(OUTBOX) || "[]"); } catch (e) { outbox = []; }
  function keep() { try { sessionStorage.setItem(OUTBOX, JSON.stringify(outbox)); } catch (e) { /* full */ } }
  function newKey() { return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12); }
  function output(form, target) {
    /* Next to the control: the form's own message target, else its message output (not
       the budget's outputs), else a new one at its end. */
    if (target && target !== form && form.contains(target)) return target;
    var out = form.querySelector("output.msg");
    if (!out) {
      out = document.createElement("output");
      out.className = "msg";
      form.appendChild(out);
    }
    return out;
  }
  function tell(form, text, target) {
    var out = output(form, target);
    out.textContent = "";
    var span = document.createElement("span");
    span.className = "msg-error";
    span.setAttribute("role", "alert");
    span.textContent = text;
    out.appendChild(span);
  }
  function isChat(form) { return form && form.classList && form.classList.contains("chat-form"); }
  function enqueue(form, path, params, key) {
    outbox.push({ path: path, body: params, key: key });
    keep();
    var box = form.querySelector("textarea");
    if (box) box.value = "";
    tell(form, words.queued);
  }
  function offline() { return navigator.onLine === false || live.state === "down" || live.state === "gone"; }
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.verb !== "post") return;
    /* Only a form sent by its person: not a preview a form's typing triggers (the
       scoresheets), which simply waits for the next keystroke. */
    var form = e.detail.elt.tagName === "FORM" ? e.detail.elt : null;
    var key = newKey();
    e.detail.headers["Idempotency-Key"] = key;
    if (!form || !offline()) return;
    e.preventDefault();
    if (isChat(form)) enqueue(form, e.detail.path, new URLSearchParams(new FormData(form)).toString(), key);
    else tell(form, words.not_sent, e.detail.target);
  });
  document.addEventListener("htmx:sendError", function (e) {
    var form = e.detail.elt.tagName === "FORM" ? e.detail.elt : null;
    var cfg = e.detail.requestConfig || {};
    if (!form) return;
    if (isChat(form)) {
      enqueue(form, cfg.path, new URLSearchParams(cfg.formData || new FormData(form)).toString(), cfg.headers["Idempotency-Key"]);
    } else {
      tell(form, words.not_sent, e.detail.target);
    }
  });
  var flushing = false;
  function flush() {
    if (flushing || !outbox.length) return;
    flushing = true;
    var item = outbox[0];
    var headers = { "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", "Idempotency-Key": item.key };
    for (var k in csrf) headers[k] = csrf[k];
    fetch(item.path, { method: "POST", headers: headers, body: item.body, credentials: "same-origin" })
      .then(function (r) {
        return r.text().then(function (html) {
          flushing = false;
          if (r.status >= 500) return;  /* try again at the next reconnect */
          outbox.shift();
          keep();
          var out = document.getElementById("chat-msg");
          if (out) out.innerHTML = html;  /* the server's own message: sent, or why not */
          flush();
        });
      }, function () { flushing = false; });
  }

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

  function ready() { tick(); budget(); scenarioTeams(); if (liveEl) connect(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
