/* Keeps a manager's page live: the page's live part is fetched again on every event the
   server sends over the WebSocket (as a "manager", with the ticket the page carries), and when
   the next alert falls due; elapsed times tick every second. Nothing polls. */
(function () {
  "use strict";
  const root = document.getElementById("live");
  if (!root) {
    return;
  }
  const badge = document.getElementById("live-state");
  const site = root.dataset.site;
  const events = ["ticket.", "counter.", "rating.", "device.", "day."];
  let ticket = root.dataset.ticket;
  let offset = 0;
  let refreshing = null;
  let queued = false;
  let dueTimer = null;
  let retry = 500;

  function show(state) {
    if (badge) {
      badge.textContent = badge.dataset[state];
      badge.className = "live-state " + state;
    }
  }

  function hall() {
    return root.querySelector(".hall");
  }

  function readClock() {
    const part = hall();
    if (part && part.dataset.now) {
      offset = Date.parse(part.dataset.now) - Date.now();
    }
    if (part && part.dataset.ticket) {
      ticket = part.dataset.ticket;
    }
  }

  function format(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const hours = Math.floor(whole / 3600);
    const minutes = Math.floor((whole % 3600) / 60);
    const rest = String(whole % 60).padStart(2, "0");
    return hours ? hours + ":" + String(minutes).padStart(2, "0") + ":" + rest
      : minutes + ":" + rest;
  }

  function tick() {
    const now = Date.now() + offset;
    for (const element of root.querySelectorAll(".elapsed[data-since]")) {
      const since = Date.parse(element.dataset.since);
      if (!Number.isNaN(since)) {
        element.textContent = format((now - since) / 1000);
      }
    }
  }

  function scheduleDue() {
    clearTimeout(dueTimer);
    const part = hall();
    if (!part || !part.dataset.nextChange) {
      return;
    }
    const wait = Date.parse(part.dataset.nextChange) - (Date.now() + offset);
    dueTimer = setTimeout(refresh, Math.max(0, wait) + 250);
  }

  async function load() {
    const url = root.dataset.liveUrl;
    const response = await fetch(url + (url.includes("?") ? "&" : "?") + "lang=" +
                                 root.dataset.lang, {credentials: "same-origin",
                                                     cache: "no-store",
                                                     redirect: "manual"});
    /* 401: the session is over, the page itself asks to sign in. A redirect or 503: the
       site is served by another server process now (or is being taken over), and the
       page's own address leads there. */
    if (response.type === "opaqueredirect" || response.status === 503) {
      setTimeout(function () { window.location.reload(); }, response.status === 503 ? 2000 : 0);
      return;
    }
    if (response.status === 401) {
      window.location.reload();
      return;
    }
    if (response.ok) {
      root.innerHTML = await response.text();
      readClock();
      tick();
      scheduleDue();
      document.body.dataset.refreshed = String(Date.now());
    }
  }

  /* One fetch at a time; events arriving meanwhile make one more afterwards. */
  function refresh() {
    if (refreshing) {
      queued = true;
      return;
    }
    refreshing = load().catch(function () {}).finally(function () {
      refreshing = null;
      if (queued) {
        queued = false;
        refresh();
      }
    });
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/ws");
    socket.onopen = function () {
      const hello = {type: "hello", id: 1, protocol: 1, role: "manager", token: ticket,
                     subscribe: events};
      if (site) {
        hello.site = site;
      }
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = function (message) {
      const frame = JSON.parse(message.data);
      if (frame.type === "event") {
        refresh();
      } else if (frame.type === "reply" && frame.id === 1) {
        if (frame.ok) {
          retry = 500;
          show("live");
          refresh();  // whatever happened while connecting
        } else if (frame.error && frame.error.code === "moved") {
          /* Another server process serves the site: its page is at that process. */
          window.location.reload();
        }
      }
    };
    socket.onclose = function () {
      show("lost");
      /* A fresh socket ticket comes with the page's live part: fetch it, then connect. */
      setTimeout(function () {
        load().catch(function () {}).finally(connect);
      }, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  readClock();
  tick();
  scheduleDue();
  setInterval(tick, 1000);
  connect();
}());
