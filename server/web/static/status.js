/* The ticket's status page, live (server/app/status_page.py renders it; the protocol's
   "citizen" role, docs/protocol.md).

   The page opens the server's WebSocket and says hello with its ticket's tracking code (the
   rating key in the link stays out of the socket). The server answers with the ticket's view
   and sends it again each time it changes (citizen.ticket): status, counter, people ahead,
   estimated wait, how many wait for the procedure. A call chimes (once the citizen has
   turned alerts on: browsers play sound only after a touch) and vibrates where the phone
   can. A lost connection is said on the page and retried with growing pauses; every 30 s a
   snapshot both refreshes the estimated wait and proves the connection still carries.
   Without scripts the page reloads itself every 20 s instead (<noscript> refresh).

   Plain ES5 (var, functions, no arrow or template strings, no build step): it must run on a
   cheap Android phone's browser. */
(function () {
  "use strict";

  var root = document.getElementById("ticket-page");
  var textsElement = document.getElementById("status-texts");
  if (!root || !textsElement || !window.WebSocket || !window.JSON) {
    return;
  }
  var TEXTS = JSON.parse(textsElement.textContent);
  var track = root.getAttribute("data-track");
  var CHIME = "/display/voice/clips/chime.wav";
  var PROBE_MS = 30000;
  var FIRST_RETRY_MS = 1000;
  var LONGEST_RETRY_MS = 30000;
  var FINAL = { done: true, cancelled: true };

  var last = {
    status: root.getAttribute("data-status"),
    callCount: parseInt(root.getAttribute("data-call-count"), 10) || 0
  };
  var socket = null;
  var nextId = 1;
  var helloId = null;
  var probeId = null;
  var probeTimer = null;
  var retryTimer = null;
  var retryMs = FIRST_RETRY_MS;
  var finished = !!FINAL[last.status];
  var audio = null;
  var alertsOn = false;

  /* What a test (or a curious developer) can read: window.qmsStatus. */
  var status = window.qmsStatus = {
    state: "connecting", updates: 0, chimes: 0, vibrations: 0, reconnects: 0
  };

  function byId(id) {
    return document.getElementById(id);
  }

  function show(element, shown) {
    if (!element) {
      return;
    }
    if (shown) {
      element.removeAttribute("hidden");
    } else {
      element.setAttribute("hidden", "");
    }
  }

  function showRow(name, shown) {
    var parts = root.querySelectorAll("[data-row='" + name + "']");
    for (var index = 0; index < parts.length; index += 1) {
      show(parts[index], shown);
    }
  }

  function setText(id, text) {
    var element = byId(id);
    if (element && element.textContent !== text) {
      element.textContent = text;
    }
  }

  function fill(pattern, value) {
    return pattern.split("{n}").join(String(value));
  }

  /* ---- the connection's state, on the page ---- */

  function setState(state) {
    status.state = state;
    var element = byId("live-state");
    if (!element) {
      return;
    }
    var words = TEXTS.state[state];
    show(element, !!words);
    if (words) {
      setText("live-state-vi", words[0]);
      setText("live-state-en", words[1]);
      element.className = "live-state " + state;
    }
  }

  /* ---- the view ---- */

  function render(view) {
    var ticket = view.ticket;
    var queue = view.queue || {};
    var current = ticket.status;
    var waiting = current === "waiting" || current === "transferred";
    var atCounter = current === "called" || current === "serving";
    var words = TEXTS.status[current] || [current, current];
    setText("status-vi", words[0]);
    setText("status-en", words[1]);
    setText("counter", atCounter && ticket.counter_name ? ticket.counter_name : "");
    show(byId("counter"), atCounter && !!ticket.counter_name);
    showRow("ahead", waiting);
    showRow("eta", waiting);
    showRow("waiting", waiting);
    if (waiting) {
      setText("ahead", ticket.ahead_known === false ? TEXTS.noCounter : String(ticket.ahead));
      setText("eta", ticket.eta_minutes === null || ticket.eta_minutes === undefined ?
        TEXTS.etaUnknown : fill(TEXTS.eta, ticket.eta_minutes));
      setText("waiting", String(queue.waiting));
    }
    show(byId("rating"), current === "done");
    root.setAttribute("data-status", current);
    root.className = "card status-" + current;
    var count = ticket.call_count || 0;
    if (current === "called" && (last.status !== "called" || count > last.callCount)) {
      announceCall();
    }
    last = { status: current, callCount: count };
    offerAlerts();
    status.updates += 1;
    if (FINAL[current]) {
      finish("");  /* nothing changes any more: the rating form (if any) is shown */
    }
  }

  /* ---- alerts: a chime and a vibration when the ticket is called ---- */

  function touched() {
    /* Browsers refuse sound and vibration to a page nobody has touched. */
    var activation = navigator.userActivation;
    return alertsOn || !!(activation && activation.hasBeenActive);
  }

  function vibrate(pattern) {
    if (navigator.vibrate && touched()) {
      try {
        if (navigator.vibrate(pattern)) {
          status.vibrations += 1;
        }
      } catch (error) { /* not on this phone */ }
    }
  }

  function play() {
    if (!audio) {
      return;
    }
    try {
      audio.currentTime = 0;
      var playing = audio.play();
      status.chimes += 1;
      if (playing && playing["catch"]) {
        playing["catch"](function () {
          alertsOn = false;  /* the browser said no: offer the button again */
          offerAlerts();
        });
      }
    } catch (error) { /* no sound on this phone */ }
  }

  function announceCall() {
    if (alertsOn) {
      play();
    }
    vibrate([400, 200, 400, 200, 400]);
  }

  function offerAlerts() {
    var current = last.status;
    show(byId("alerts"), !alertsOn && !finished &&
         (current === "waiting" || current === "transferred" || current === "called"));
  }

  function turnOnAlerts() {
    alertsOn = true;
    if (!audio && window.Audio) {
      audio = new window.Audio(CHIME);
      audio.preload = "auto";
    }
    play();  /* the touch lets it play: the citizen hears what a call will sound like */
    vibrate(150);
    offerAlerts();
    setText("alerts-done", TEXTS.alertsOn);
  }

  /* ---- the WebSocket ---- */

  function send(message) {
    message.id = nextId;
    nextId += 1;
    socket.send(JSON.stringify(message));
    return message.id;
  }

  function address() {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") +
      window.location.host + "/ws";
  }

  function forget() {
    /* Let go of the socket: its late events and its close are no longer ours. */
    clearInterval(probeTimer);
    probeTimer = null;
    probeId = null;
    helloId = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch (error) { /* already closed */ }
      socket = null;
    }
  }

  function lost() {
    forget();
    if (finished) {
      return;
    }
    setState("lost");
    clearTimeout(retryTimer);
    /* Jittered, growing pauses: a hall full of phones does not come back all at once. */
    var wait = retryMs / 2 + Math.random() * retryMs / 2;
    retryMs = Math.min(retryMs * 2, LONGEST_RETRY_MS);
    retryTimer = setTimeout(connect, wait);
  }

  function expired() {
    /* The server no longer knows the ticket (its day is over): nothing on the page holds. */
    setText("status-vi", TEXTS.expired[0]);
    setText("status-en", TEXTS.expired[1]);
    show(byId("counter"), false);
    showRow("ahead", false);
    showRow("eta", false);
    showRow("waiting", false);
    root.className = "card status-expired";
  }

  function finish(state) {
    finished = true;
    forget();
    clearTimeout(retryTimer);
    setText("alerts-done", "");
    if (state === "gone") {
      expired();
    }
    if (state) {
      setState(state);
    } else {
      show(byId("live-state"), false);
      status.state = "finished";
    }
    offerAlerts();
  }

  function probe() {
    if (!socket || helloId !== null) {
      return;
    }
    if (probeId !== null) {
      lost();  /* the last one was never answered: the connection carries nothing */
      return;
    }
    probeId = send({ type: "snapshot" });
  }

  function received(message) {
    var frame;
    try {
      frame = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    if (frame.type === "event" && frame.event === "citizen.ticket") {
      render(frame.data);
    } else if (frame.type === "reply" && frame.id === helloId) {
      helloId = null;
      if (!frame.ok) {
        refused(frame.error || {});
        return;
      }
      retryMs = FIRST_RETRY_MS;
      setState("live");
      render(frame.result);
      if (!finished) {
        probeTimer = setInterval(probe, PROBE_MS);
      }
    } else if (frame.type === "reply" && frame.id === probeId) {
      probeId = null;
      if (frame.ok) {
        render(frame.result);
      }
    }
  }

  function refused(error) {
    if (error.code === "not_found") {
      finish("gone");  /* another day's ticket: retrying will not help */
      return;
    }
    if (error.code === "moved") {
      /* Another server process serves this ticket's centre now: the page, opened again,
         is sent there (a moment's wait while the centre is being taken over). */
      forget();
      retryTimer = setTimeout(function () { window.location.reload(); }, 1000);
      return;
    }
    if (error.code === "rate_limited") {
      retryMs = Math.max(retryMs, 15000);  /* too many pages open: wait longer */
    }
    lost();
  }

  function connect() {
    clearTimeout(retryTimer);
    forget();
    if (finished) {
      return;
    }
    status.reconnects += status.state === "lost" ? 1 : 0;
    try {
      socket = new WebSocket(address());
    } catch (error) {
      lost();
      return;
    }
    socket.onopen = function () {
      helloId = send({ type: "hello", protocol: 1, role: "citizen", track: track });
    };
    socket.onmessage = received;
    socket.onclose = lost;
  }

  /* ---- start ---- */

  var button = byId("alerts");
  if (button) {
    button.addEventListener("click", turnOnAlerts);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || finished) {
      return;
    }
    if (status.state === "lost") {
      retryMs = FIRST_RETRY_MS;
      connect();  /* a phone woken up: try now rather than after the pause */
    } else {
      probe();    /* and bring the estimated wait up to date */
    }
  });
  window.addEventListener("online", function () {
    if (status.state === "lost" && !finished) {
      retryMs = FIRST_RETRY_MS;
      connect();
    }
  });
  offerAlerts();
  if (!finished) {
    connect();
  }
}());
