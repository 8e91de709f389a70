/* QMS web lobby display: the same board as the Qt display, for a smart TV's browser.
 *
 * URL: /display?zone=T1&token=DISPLAY_TOKEN
 *   zone         show only this zone's counters (default: every zone)
 *   token        one of the site's display tokens (role "display"); required: without it the
 *                page says so on screen instead of trying a default
 *   site         the site code (optional: the server finds the site from a device token)
 *   ws           WebSocket URL (default: ws(s)://<this host>/ws)
 *   recent       recent calls listed (default 6)
 *   stale_after  seconds without a connection before "Mất kết nối" (default 3)
 *   ping_interval, ping_timeout  the liveness check below (defaults 5 and 5 seconds)
 *   open_timeout seconds for a connection to open and its hello to be answered (default 10);
 *                past that it is dropped and tried again (a hung server may accept and hold it)
 *   sound=1      a chime on each call (the browser may need one touch/click first)
 *   voice=1      read each call out as the Qt display does: the chime and the words, from the
 *                server's voice pack (voice.js); the browser may need one key press or touch
 *                first, and the page asks for it on screen ("click to enable sound")
 *   voice_lang   announcement languages in order, e.g. vi,en (default vi; as --lang)
 *   number_reading  words (default) or digits (as --number-reading)
 *
 * The board rules are those of display/board.py (the Qt display's model): see its docstring.
 * Live over the WebSocket: no polling. Reconnects by itself (back-off 0.5 s doubling to 10 s)
 * and resumes after the last event applied. Liveness: a browser cannot send WebSocket pings
 * (the server's own pings are answered by the browser without telling the page), so when
 * nothing has arrived for ping_interval seconds the page sends one "resume" request after the
 * last seq it applied: the reply is a few bytes when nothing was missed (and replays what was,
 * so it never shows less than the server has). No reply within ping_timeout seconds counts as a
 * lost connection: a hung server is shown as "Mất kết nối" within about 13 s. A refused hello
 * (wrong token or site) is said on screen at once ("Mã thiết bị không hợp lệ").
 * Plain ES2015, no build step, no outside scripts or fonts.
 */
(function () {
  "use strict";

  var LOBBY_DISPLAY_EVENTS = ["ticket.issued", "ticket.called", "ticket.recalled",
    "ticket.transferred", "ticket.requeued", "ticket.cancelled", "counter.changed",
    "day.reset", "config.changed"];
  var TEXT = {
    connectionLost: ["MẤT KẾT NỐI", "CONNECTION LOST"],
    reconnecting: ["Đang kết nối lại…", "Reconnecting…"],
    connecting: ["ĐANG KẾT NỐI…", "CONNECTING…"],
    unknownZone: ["KHÔNG CÓ KHU VỰC", "NO SUCH ZONE"],
    refused: ["MÃ THIẾT BỊ KHÔNG HỢP LỆ", "DEVICE TOKEN REFUSED"],
    refusedHelp: ["Mã thiết bị hoặc mã đơn vị sai — báo bộ phận CNTT", "Wrong device token or site — please call IT support"],
    nobodyWaiting: ["Không có người chờ", "Nobody waiting"],
    /* screens with nothing to show say so in words (display/texts.py) */
    noCallsYet: ["Chưa có số nào được gọi", "No number has been called yet"],
    takeATicket: ["Xin mời lấy số thứ tự và chờ đến lượt", "Please take a ticket and wait for your number"],
    noRecentCalls: ["Chưa có lượt gọi", "No calls yet"],
    noCounters: ["Khu vực này không có quầy", "No counters in this zone"],
    notYetKnown: ["Chưa có thông tin", "Not known yet"],
    welcome: ["Kính chào Quý khách", "Welcome"],
    counters: ["CÁC QUẦY", "COUNTERS"],
    enableSound: ["Nhấn một phím hoặc chạm vào màn hình để bật tiếng đọc số", "Press any key or tap the screen to turn on the voice"],
    counterTo: ["QUẦY", "COUNTER"],
    to: ["ĐẾN", "TO"],
    paused: ["Tạm dừng", "Paused"],
    closed: ["Đóng", "Closed"]
  };
  var WEEKDAYS = ["Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];
  var MAX_COUNTER_TRANSFERS = 1000;
  var DESIGN_WIDTH = 1920;
  var DESIGN_HEIGHT = 1080;

  var params = new URLSearchParams(window.location.search);
  function numberParam(name, fallback) {
    var value = parseFloat(params.get(name));
    return isFinite(value) && value >= 0 ? value : fallback;
  }
  var settings = {
    zone: params.get("zone") || null,
    site: params.get("site") || null,
    token: params.get("token") || "",
    url: params.get("ws") ||
      ((window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + "/ws"),
    recentLimit: Math.max(1, Math.min(50, Math.round(numberParam("recent", 6)))),
    flashSeconds: numberParam("flash", 10),
    flashPeriod: 1.0,
    staleAfter: numberParam("stale_after", 3),
    idleProbe: Math.max(0.5, numberParam("ping_interval", 5)),
    probeTimeout: Math.max(0.5, numberParam("ping_timeout", 5)),
    openTimeout: Math.max(0.5, numberParam("open_timeout", 10)),
    reconnectInitial: 0.5,
    reconnectMax: 10,
    replayAnnounce: 60,
    maxReplayedCalls: 3,
    sound: params.get("sound") === "1",
    voice: params.get("voice") === "1",
    voiceLanguages: params.get("voice_lang") || "",
    numberReading: params.get("number_reading") || ""
  };

  function now() { return performance.now() / 1000; }
  function text(object, key) {
    var value = object ? object[key] : null;
    return value === null || value === undefined ? "" : String(value);
  }
  function counterParts(code, name) {
    var match = /^\s*(?:quầy|quay|counter)\s+(?:số\s+|so\s+|no\.?\s*)?([0-9A-Za-z]+)\b\s*[-–—:·,]?\s*(.*)$/i
      .exec(name || "");
    return match ? [match[1], match[2].trim()] : [name || code, ""];
  }

  /* ---- the board (display/board.py) ---- */

  function Board() {
    this.site = { code: "", name: "", name_en: "", notice: "", timezone: "Asia/Ho_Chi_Minh" };
    this.zoneName = ""; this.zoneNameEn = ""; this.zoneKnown = true;
    this.seq = 0; this.hasData = false; this.newestCall = null; this.flashStarted = null;
    this.status = "connecting"; this.statusSince = now();
    this.recent = []; this.counters = []; this.counterIndex = {}; this.zoneCounters = {};
    this.services = []; this.serviceIndex = {}; this.zoneServices = [];
    this.counterTransfers = [];
  }
  Board.prototype.call = function (data, kind) {
    var number = text(data, "number"), counter = text(data, "counter");
    if (!number || !counter) { return null; }
    return { ticketId: text(data, "id") || number, number: number, counter: counter,
             counterName: text(data, "counter_name") || counter, service: text(data, "service"),
             serviceName: text(data, "service_name"), serviceNameEn: text(data, "service_name_en"),
             kind: kind };
  };
  Board.prototype.panel = function (data) {
    var ticket = data.ticket;
    var status = text(data, "status");
    return { code: text(data, "code"), name: text(data, "name") || text(data, "code"),
             zone: text(data, "zone"),
             status: status === "open" || status === "paused" ? status : "closed",
             number: ticket && ticket.number ? String(ticket.number) : null };
  };
  Board.prototype.applySnapshot = function (state, seq, at, replayed, announceReplayed) {
    var self = this, zone = settings.zone;
    var site = state.site || {};
    this.site = { code: text(site, "code"), name: text(site, "name"),
                  name_en: text(site, "name_en"), notice: text(site, "notice"),
                  timezone: text(site, "timezone") || "Asia/Ho_Chi_Minh" };
    var zoneInfo = null;
    (state.zones || []).forEach(function (item) { if (text(item, "code") === zone) { zoneInfo = item; } });
    this.zoneKnown = zone === null || zoneInfo !== null;
    this.zoneName = zoneInfo ? text(zoneInfo, "name") : "";
    this.zoneNameEn = zoneInfo ? text(zoneInfo, "name_en") : "";
    this.counters = []; this.counterIndex = {}; this.zoneCounters = {};
    var served = {};
    (state.counters || []).forEach(function (item) {
      var panel = self.panel(item);
      self.counterIndex[panel.code] = self.counters.length;
      self.counters.push(panel);
      if (zone === null || panel.zone === zone) {
        self.zoneCounters[panel.code] = true;
        (item.services || []).forEach(function (code) { served[code] = true; });
      }
    });
    this.services = []; this.serviceIndex = {}; this.zoneServices = [];
    (state.services || []).forEach(function (item) {
      var queue = { code: text(item, "code"), name: text(item, "name") || text(item, "code"),
                    name_en: text(item, "name_en"), waiting: Math.max(0, item.waiting | 0) };
      self.serviceIndex[queue.code] = self.services.length;
      self.services.push(queue);
      if (zone === null || served[queue.code]) { self.zoneServices.push(queue.code); }
    });
    this.counterTransfers = [];
    var current = this.newestCall;
    this.recent = (state.recent_calls || []).map(function (item) { return self.call(item, "call"); })
      .filter(function (call) { return call && self.zoneCounters[call.counter]; })
      .slice(0, settings.recentLimit);
    var kept = current && this.recent.some(function (call) { return call.ticketId === current.ticketId; });
    if (!kept) { this.newestCall = this.recent.length ? this.recent[0] : null; this.flashStarted = null; }
    this.seq = seq; this.hasData = true;
    var calls = [];
    if (announceReplayed && settings.maxReplayedCalls) {
      (replayed || []).forEach(function (event) {
        var kind = { "ticket.called": "call", "ticket.recalled": "recall" }[event.event];
        var call = kind ? self.call(event.data, kind) : null;
        if (call && self.zoneCounters[call.counter]) { calls.push(call); }
      });
      calls = calls.slice(-settings.maxReplayedCalls);
      if (calls.length) { this.newestCall = calls[calls.length - 1]; this.flashStarted = at; }
    }
    return { changed: true, calls: calls, snapshotNeeded: false };
  };
  Board.prototype.applyEvent = function (event, at) {
    if (event.seq <= this.seq) { return { changed: false, calls: [] }; }
    this.seq = event.seq;
    var data = event.data || {};
    switch (event.event) {
      case "ticket.called": return this.called(this.call(data, "call"), at);
      case "ticket.recalled": return this.recalled(this.call(data, "recall"), at);
      case "ticket.issued": case "ticket.requeued": case "ticket.transferred":
        return this.queued(data);
      case "ticket.cancelled": return this.leftQueue(text(data, "id"), text(data, "service"));
      case "counter.changed": return this.counterChanged(this.panel(data));
      case "day.reset": return this.dayReset();
      /* New names, services or counters: the snapshot has them; calls and counts stay. */
      case "config.changed": return { changed: false, calls: [], snapshotNeeded: true };
      default: return { changed: false, calls: [] };
    }
  };
  Board.prototype.called = function (call, at) {
    if (!call) { return { changed: false, calls: [] }; }
    var waiting = this.leftQueue(call.ticketId, call.service);
    this.setCounterNumber(call.counter, call.number);
    if (!this.zoneCounters[call.counter]) { return waiting; }
    this.recent = this.recent.filter(function (earlier) { return earlier.ticketId !== call.ticketId; });
    this.recent.unshift(call);
    this.recent.length = Math.min(this.recent.length, settings.recentLimit);
    this.newestCall = call; this.flashStarted = at;
    return { changed: true, calls: [call] };
  };
  Board.prototype.recalled = function (call, at) {
    if (!call) { return { changed: false, calls: [] }; }
    this.setCounterNumber(call.counter, call.number);
    if (!this.zoneCounters[call.counter]) { return { changed: false, calls: [] }; }
    if (!this.recent.some(function (earlier) { return earlier.ticketId === call.ticketId; })) {
      this.recent.unshift(Object.assign({}, call, { kind: "call" }));
      this.recent.length = Math.min(this.recent.length, settings.recentLimit);
    }
    this.newestCall = call; this.flashStarted = at;
    return { changed: true, calls: [call] };
  };
  Board.prototype.queued = function (data) {
    if (data.target_counter) {
      this.counterTransfers.push(text(data, "id"));
      if (this.counterTransfers.length > MAX_COUNTER_TRANSFERS) { this.counterTransfers.shift(); }
      return { changed: false, calls: [] };
    }
    return this.addWaiting(text(data, "service"), 1);
  };
  Board.prototype.leftQueue = function (ticketId, service) {
    var index = this.counterTransfers.indexOf(ticketId);
    if (index >= 0) { this.counterTransfers.splice(index, 1); return { changed: false, calls: [] }; }
    return this.addWaiting(service, -1);
  };
  Board.prototype.addWaiting = function (service, change) {
    var index = this.serviceIndex[service];
    if (index === undefined) { return { changed: false, calls: [] }; }
    var queue = this.services[index];
    var waiting = Math.max(0, queue.waiting + change);
    if (waiting === queue.waiting) { return { changed: false, calls: [] }; }
    queue.waiting = waiting;
    return { changed: this.zoneServices.indexOf(service) >= 0, calls: [] };
  };
  Board.prototype.setCounterNumber = function (code, number) {
    var index = this.counterIndex[code];
    if (index !== undefined) { this.counters[index].number = number; }
  };
  Board.prototype.counterChanged = function (panel) {
    var index = this.counterIndex[panel.code];
    if (index === undefined) { return { changed: false, calls: [] }; }
    this.counters[index] = panel;
    return { changed: !!this.zoneCounters[panel.code], calls: [] };
  };
  Board.prototype.dayReset = function () {
    this.recent = []; this.newestCall = null; this.flashStarted = null; this.counterTransfers = [];
    this.services.forEach(function (queue) { queue.waiting = 0; });
    this.counters.forEach(function (panel) { panel.number = null; });
    return { changed: true, calls: [], snapshotNeeded: true };
  };
  Board.prototype.setConnection = function (status, at) {
    if (status === this.status) { return false; }
    this.status = status; this.statusSince = at; return true;
  };
  Board.prototype.stale = function (at) {
    return this.status !== "connected" && at - this.statusSince >= settings.staleAfter;
  };
  Board.prototype.banner = function (at) {
    if (this.status === "refused") { return "refused"; }
    if (this.stale(at)) { return this.hasData ? "lost" : "connecting"; }
    if (!this.hasData) { return "connecting"; }
    if (!this.zoneKnown) { return "zone"; }
    return "none";
  };
  Board.prototype.zoneCounterList = function () {
    var self = this;
    return this.counters.filter(function (panel) { return self.zoneCounters[panel.code]; });
  };
  Board.prototype.zoneServiceList = function () {
    var self = this;
    return this.zoneServices.map(function (code) { return self.services[self.serviceIndex[code]]; });
  };

  /* ---- rendering ---- */

  var board = new Board();
  var $ = function (id) { return document.getElementById(id); };
  var stage = $("stage");
  var rendered = { banner: null, notice: null, flashing: false };
  var noticeAnimation = null;

  function scaleStage() {
    var scale = Math.min(window.innerWidth / DESIGN_WIDTH, window.innerHeight / DESIGN_HEIGHT);
    var left = (window.innerWidth - DESIGN_WIDTH * scale) / 2;
    var top = (window.innerHeight - DESIGN_HEIGHT * scale) / 2;
    stage.style.transform = "translate(" + left + "px," + top + "px) scale(" + scale + ")";
  }

  function fit(element, largest, smallest) {
    /* the largest font size (px) at which the text fits the element's width */
    element.style.fontSize = largest + "px";
    var available = element.clientWidth, needed = element.scrollWidth;
    if (needed > available && needed > 0) {
      element.style.fontSize = Math.max(smallest, Math.floor(largest * available / needed)) + "px";
    }
  }

  function flashStyle(element, lit) {
    /* flashing elements share one phase: a negative delay places them where the flash is */
    if (!lit) { element.classList.remove("flash"); element.style.animation = ""; return; }
    if (element.dataset.flashStarted !== String(board.flashStarted)) {
      /* a new flash (a recall of the number shown): restart the animation; changing only its
         timing would carry on the old one, which may have ended */
      element.dataset.flashStarted = String(board.flashStarted);
      element.classList.remove("flash");
      void element.offsetWidth;
    }
    var elapsed = now() - board.flashStarted;
    var period = settings.flashPeriod;
    var count = Math.max(0, (settings.flashSeconds - elapsed) / period);
    var offset = -(elapsed % period);
    element.classList.add("flash");
    var targets = [element].concat(Array.prototype.slice.call(
      element.querySelectorAll(".now-number, .card-number, .number, .counter, .title .en")));
    targets.forEach(function (target) {
      target.style.animationDuration = period + "s";
      target.style.animationIterationCount = String(count + (elapsed % period) / period);
      target.style.animationDelay = offset + "s";
    });
  }

  function flashing(at) {
    return board.flashStarted !== null && at - board.flashStarted < settings.flashSeconds;
  }

  function renderHeader() {
    var site = board.site;
    $("site-name").textContent = site.name || "Hệ thống xếp hàng tự động";
    var sub = site.name_en;
    if (settings.zone) {
      var zone = board.zoneName || settings.zone;
      if (board.zoneNameEn) { zone += " · " + board.zoneNameEn; }
      sub = sub ? sub + "   ·   " + zone : zone;
    }
    $("site-sub").textContent = sub;
    renderClock();
  }

  function renderClock() {
    var moment = new Date(), parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {
        timeZone: board.site.timezone, hourCycle: "h23", weekday: "short", year: "numeric",
        month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"
      }).formatToParts(moment).forEach(function (part) { parts[part.type] = part.value; });
    } catch (error) {  /* a browser without time zones: the TV's own clock */
      var pad = function (value) { return (value < 10 ? "0" : "") + value; };
      parts = { hour: pad(moment.getHours()), minute: pad(moment.getMinutes()),
                second: pad(moment.getSeconds()), day: pad(moment.getDate()),
                month: pad(moment.getMonth() + 1), year: String(moment.getFullYear()),
                weekday: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][moment.getDay()] };
    }
    var weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday);
    $("clock").textContent = parts.hour + ":" + parts.minute + ":" + parts.second;
    $("date").textContent = WEEKDAYS[Math.max(0, weekday)] + ", " + parts.day + "/" +
      parts.month + "/" + parts.year;
  }

  function renderNow(at, banner) {
    var call = board.newestCall;
    var panel = $("now"), number = $("now-number");
    var live = banner === "none";
    /* a banner covers the panel: nothing of the call (or of its absence) shows around it */
    panel.classList.toggle("covered", !live);
    $("now-empty").classList.toggle("shown", !call);
    if (!call) {
      flashStyle(panel, false);
      number.textContent = ""; number.style.fontSize = "";
      $("now-counter").textContent = ""; $("now-counter-small").textContent = "";
      $("now-arrow").textContent = ""; $("now-counter-box").classList.remove("shown");
      $("now-service").textContent = "";
      if (live) { renderNoCalls(); }
      return;
    }
    number.textContent = call.number;
    fit(number, 290, 140);
    var parts = counterParts(call.counter, call.counterName);
    var label = parts[0] !== call.counterName ? TEXT.counterTo : TEXT.to;
    $("now-counter-label").innerHTML = "";
    appendLabel($("now-counter-label"), label);
    $("now-arrow").textContent = "➜";
    $("now-counter-box").classList.add("shown");
    var big = $("now-counter");
    big.textContent = parts[0];
    var smallLines = wrapLines(parts[1], "700 28px 'QMS Sans'", 348, 2);
    big.style.height = (266 - 60 - 34 * smallLines.length) + "px";
    big.style.lineHeight = big.style.height;
    fit(big, 220, 40);
    $("now-counter-small").textContent = smallLines.join("\n");
    $("now-counter-small").style.whiteSpace = "pre";
    $("now-service").textContent = call.serviceName +
      (call.serviceNameEn ? " · " + call.serviceNameEn : "");
    flashStyle(panel, live && flashing(at));  /* last: it styles the spans made above */
  }

  function renderNoCalls() {
    /* before the first call: what has (not) happened and what to do (BoardWidget._paint_no_calls) */
    [["now-empty-vi", TEXT.noCallsYet[0], 72], ["now-empty-en", TEXT.noCallsYet[1], 40],
     ["now-hint-vi", TEXT.takeATicket[0], 34], ["now-hint-en", TEXT.takeATicket[1], 28]]
      .forEach(function (line) {
        var element = $(line[0]);
        element.textContent = line[1];
        fit(element, line[2], Math.round(line[2] * 0.6));
      });
  }

  function appendNote(parent, label) {
    /* a quiet two-line message where a list is empty: Vietnamese, English under it */
    var vi = document.createElement("span"); vi.className = "vi"; vi.textContent = label[0];
    var en = document.createElement("span"); en.className = "en"; en.textContent = label[1];
    parent.appendChild(vi); parent.appendChild(en);
  }

  function appendLabel(parent, label) {
    var vi = document.createElement("span"); vi.className = "vi"; vi.textContent = label[0];
    var en = document.createElement("span"); en.className = "en"; en.textContent = "· " + label[1];
    parent.appendChild(vi); parent.appendChild(en);
  }

  function renderBanner(banner) {
    var element = $("banner");
    element.className = "banner" + (banner === "none" ? "" : " shown " + banner);
    stage.classList.toggle("stale", banner === "lost" || banner === "connecting" ||
                           banner === "refused");
    if (banner === "lost") {
      $("banner-big").textContent = TEXT.connectionLost[0];
      $("banner-line1").textContent = TEXT.connectionLost[1];
      $("banner-line2").textContent = TEXT.reconnecting[0] + " · " + TEXT.reconnecting[1];
    } else if (banner === "connecting") {
      $("banner-big").textContent = TEXT.connecting[0];
      $("banner-line1").textContent = TEXT.connecting[1];
      $("banner-line2").textContent = "";
    } else if (banner === "refused") {
      $("banner-big").textContent = TEXT.refused[0];
      $("banner-line1").textContent = TEXT.refusedHelp[0];
      $("banner-line2").textContent = TEXT.refused[1] + " · " + TEXT.refusedHelp[1];
    } else if (banner === "zone") {
      $("banner-big").textContent = TEXT.unknownZone[0] + " " + settings.zone;
      $("banner-line1").textContent = TEXT.unknownZone[1] + " " + settings.zone;
      $("banner-line2").textContent = "";
    }
    if (banner !== "none") {
      /* each line shrinks to fit the panel before anything is cut (BoardWidget._paint_banner) */
      fit($("banner-big"), 120, 60);
      fit($("banner-line1"), 44, 24);
      fit($("banner-line2"), 36, 24);
    }
  }

  var measuring = document.createElement("canvas").getContext("2d");
  function textWidth(text, font) { measuring.font = font; return measuring.measureText(text).width; }
  function elide(text, font, width) {
    if (textWidth(text, font) <= width) { return text; }
    while (text.length > 1 && textWidth(text + "…", font) > width) { text = text.slice(0, -1); }
    return text.replace(/\s+$/, "") + "…";
  }
  function wrapLines(text, font, width, maxLines) {
    /* text broken at spaces into at most maxLines lines of width, the last elided: the same
       rule as BoardWidget._wrap */
    var words = String(text || "").split(/\s+/).filter(function (word) { return word; });
    var lines = [];
    while (words.length && lines.length < maxLines) {
      if (lines.length === maxLines - 1) { lines.push(elide(words.join(" "), font, width)); break; }
      var line = words.shift();
      while (words.length && textWidth(line + " " + words[0], font) <= width) {
        line += " " + words.shift();
      }
      lines.push(elide(line, font, width));
    }
    return lines;
  }
  function numberRatio() {
    /* width of "A000" in the number font at 1 px (2.57 for DejaVu Sans Condensed Bold) */
    measuring.font = "700 100px 'QMS Condensed'";
    var width = measuring.measureText("A000").width / 100;
    return width > 1 ? width : 2.57;
  }

  function counterGrid(count) {
    /* (columns, rows, number px) giving the numbers the most room: board_widget._counter_grid */
    var best = [1, count, 0], gap = 14, width = 1240, height = 374, ratio = numberRatio();
    for (var columns = 1; columns <= count; columns++) {
      var rows = Math.ceil(count / columns);
      var cellWidth = (width - gap * (columns - 1)) / columns;
      var cellHeight = (height - gap * (rows - 1)) / rows;
      var nameHeight = Math.min(46, cellHeight * 0.3);
      var size = Math.min((cellHeight - nameHeight - 6) / 1.08, (cellWidth - 20) / ratio, 150);
      if (size > best[2]) { best = [columns, rows, size]; }
    }
    return [best[0], best[1], Math.floor(best[2])];
  }

  function renderCounters(at, banner) {
    var container = $("counters");
    var panels = board.zoneCounterList();
    container.innerHTML = "";
    if (!panels.length) {  /* not known yet, or a zone without counters: a panel that says which */
      var empty = document.createElement("div"); empty.className = "counters-empty";
      var title = document.createElement("div"); title.className = "title";
      appendLabel(title, TEXT.counters);
      var note = document.createElement("div"); note.className = "note";
      appendNote(note, board.hasData ? TEXT.noCounters : TEXT.notYetKnown);
      empty.appendChild(title); empty.appendChild(note);
      container.appendChild(empty);
      return;
    }
    var grid = counterGrid(panels.length), gap = 14;
    var columns = grid[0], rows = grid[1];
    var width = (1240 - gap * (columns - 1)) / columns;
    var height = (374 - gap * (rows - 1)) / rows;
    var nameHeight = Math.min(46, height * 0.3);
    var call = board.newestCall;
    var litCode = banner === "none" && call && flashing(at) ? call.counter : null;
    var numbers = [];
    panels.forEach(function (panel, index) {
      var card = document.createElement("div");
      var closed = panel.status !== "open";
      card.className = "card" + (closed ? " closed" : "");
      card.dataset.counter = panel.code;
      card.style.left = (index % columns) * (width + gap) + "px";
      card.style.top = Math.floor(index / columns) * (height + gap) + "px";
      card.style.width = width + "px";
      card.style.height = height + "px";
      var name = document.createElement("div");
      name.className = "card-name";
      name.style.height = nameHeight + "px";
      name.style.lineHeight = nameHeight + "px";
      name.style.fontSize = Math.min(30, nameHeight * 0.68) + "px";
      var parts = counterParts(panel.code, panel.name);
      var subtitleHeight = 0;
      if (parts[0] !== panel.name) {
        name.textContent = "Quầy " + parts[0];
        /* the rest on its own line when the card has the height (BoardWidget._paint_card) */
        var slack = height - nameHeight - 6 - grid[2] * 1.08;
        if (parts[1] && slack >= 22) {
          subtitleHeight = Math.min(30, slack);
          var subtitle = document.createElement("div"); subtitle.className = "card-subtitle";
          subtitle.textContent = parts[1];
          subtitle.style.top = (nameHeight + 2) + "px";
          subtitle.style.height = subtitleHeight + "px";
          subtitle.style.lineHeight = subtitleHeight + "px";
          card.appendChild(subtitle);
          fit(subtitle, Math.min(24, subtitleHeight * 0.8), 16);
        } else if (parts[1]) {
          var rest = document.createElement("span"); rest.className = "rest";
          rest.textContent = parts[1]; name.appendChild(rest);
        }
      } else { name.textContent = panel.name; }
      card.appendChild(name);
      var body = document.createElement("div");
      body.style.top = (nameHeight + subtitleHeight) + "px";
      body.style.height = (height - nameHeight - subtitleHeight - 6) + "px";
      if (panel.number && !closed) {
        body.className = "card-number";
        body.textContent = panel.number;
        body.style.lineHeight = body.style.height;
        numbers.push(body);
      } else {
        body.className = "card-status";
        var status = panel.status === "paused" ? TEXT.paused : panel.status === "closed" ? TEXT.closed : null;
        body.style.fontSize = Math.min(34, height * 0.22) + "px";
        if (status) {
          var vi = document.createElement("span"); vi.className = "vi"; vi.textContent = status[0];
          var en = document.createElement("span"); en.className = "en"; en.textContent = status[1];
          body.appendChild(vi); body.appendChild(en);
          body.style.paddingTop = (height - nameHeight) * 0.12 + "px";
        } else { body.textContent = "—"; body.style.lineHeight = body.style.height; }
      }
      card.appendChild(body);
      container.appendChild(card);
      flashStyle(card, panel.code === litCode);
    });
    /* one size for every counter's number: the largest at which all of them fit */
    var size = grid[2];
    numbers.forEach(function (element) {
      fit(element, grid[2], 20);
      size = Math.min(size, parseFloat(element.style.fontSize));
    });
    numbers.forEach(function (element) { element.style.fontSize = size + "px"; });
    container.dataset.numberSize = String(size);
  }

  function renderRecent(at, banner) {
    var list = $("recent");
    list.innerHTML = "";
    var rowHeight = (480 - 12 - 72) / settings.recentLimit;
    var call = board.newestCall;
    var litId = banner === "none" && call && flashing(at) ? call.ticketId : null;
    if (!board.recent.length) {
      var note = document.createElement("li"); note.className = "note";
      appendNote(note, board.hasData ? TEXT.noRecentCalls : TEXT.notYetKnown);
      list.appendChild(note);
    }
    board.recent.forEach(function (item) {
      var row = document.createElement("li");
      row.style.height = rowHeight + "px";
      row.style.lineHeight = rowHeight + "px";
      var number = document.createElement("span");
      number.className = "number"; number.textContent = item.number;
      number.style.fontSize = Math.min(68, rowHeight * 0.78) + "px";
      var counter = document.createElement("span");
      var parts = counterParts(item.counter, item.counterName);
      counter.className = "counter";
      counter.textContent = "➜ " + (parts[0] !== item.counterName ? "Quầy " + parts[0] : item.counterName);
      counter.style.fontSize = Math.min(46, rowHeight * 0.55) + "px";
      row.appendChild(number); row.appendChild(counter);
      list.appendChild(row);
      fit(number, Math.min(68, rowHeight * 0.78), 30);
      flashStyle(row, item.ticketId === litId);
    });
  }

  function renderWaiting() {
    var list = $("waiting");
    list.innerHTML = "";
    /* a name too long for one line at 30 px gets two lines at 25 px (a 64 px row); rows are
       chosen by height as BoardWidget._paint_waiting and _waiting_rows do */
    var room = 306 - 8 - 66, lines = {}, heights = {};
    var services = board.zoneServiceList(), leftOut = 0;
    services.forEach(function (queue) {
      lines[queue.code] = textWidth(queue.name, "400 30px 'QMS Sans'") <= 442 ? [queue.name]
        : wrapLines(queue.name, "400 25px 'QMS Sans'", 442, 2);
      heights[queue.code] = lines[queue.code].length > 1 ? 64 : 46;
    });
    function total(queues) {
      return queues.reduce(function (sum, queue) { return sum + heights[queue.code]; }, 0);
    }
    if (total(services) > room) {
      services = services.filter(function (queue) { return queue.waiting > 0; });
      if (total(services) > room) {
        var shown = [], used = 40;
        for (var index = 0; index < services.length; index++) {
          if (used + heights[services[index].code] > room) { break; }
          shown.push(services[index]); used += heights[services[index].code];
        }
        leftOut = services.length - shown.length;
        services = shown;
      }
    }
    if (!services.length && !leftOut) {
      var nobody = document.createElement("li"); nobody.className = "note";
      appendNote(nobody, board.hasData ? TEXT.nobodyWaiting : TEXT.notYetKnown);
      list.appendChild(nobody);
      return;
    }
    services.forEach(function (queue) {
      var row = document.createElement("li");
      row.dataset.service = queue.code;
      var name = document.createElement("span"); name.className = "name";
      if (lines[queue.code].length > 1) {
        row.className = "wrapped";
        lines[queue.code].forEach(function (line) {
          var part = document.createElement("span"); part.textContent = line; name.appendChild(part);
        });
        name.title = queue.name;
      } else { name.textContent = queue.name; }
      var count = document.createElement("span"); count.className = "count";
      count.textContent = String(queue.waiting);
      row.appendChild(name); row.appendChild(count);
      list.appendChild(row);
    });
    if (leftOut) {
      var more = document.createElement("li"); more.className = "more";
      more.textContent = "… và " + leftOut + " dịch vụ khác · … and " + leftOut + " more";
      list.appendChild(more);
    }
  }

  function renderNotice() {
    /* the site's notice, else its name, else a welcome: the strip is never empty */
    var notice = board.site.notice || board.site.name || TEXT.welcome[0] + " · " + TEXT.welcome[1];
    if (notice === rendered.notice) { return; }
    rendered.notice = notice;
    var element = $("notice");
    element.textContent = notice;
    if (noticeAnimation) { noticeAnimation.cancel(); noticeAnimation = null; }
    element.style.transform = "";
    var width = element.scrollWidth;
    if (width <= DESIGN_WIDTH - 80) {
      element.style.left = (DESIGN_WIDTH - width) / 2 + "px";
      return;
    }
    element.style.left = "0px";
    var travel = width + DESIGN_WIDTH;
    if (element.animate) {
      /* begins with the text's start on screen, scrolls left, comes back in from the right */
      noticeAnimation = element.animate(
        [{ transform: "translateX(" + DESIGN_WIDTH + "px)" },
         { transform: "translateX(" + (-width) + "px)" }],
        { duration: travel / 110 * 1000, iterations: Infinity, easing: "linear" });
      noticeAnimation.currentTime = (DESIGN_WIDTH - 40) / 110 * 1000;  /* text starts at x=40 */
    }
  }

  function render() {
    var at = now(), banner = board.banner(at);
    rendered.banner = banner;
    rendered.flashing = flashing(at);
    renderHeader();
    renderBanner(banner);
    renderNow(at, banner);
    renderCounters(at, banner);
    renderRecent(at, banner);
    renderWaiting();
    renderNotice();
    window.qmsDisplay.renders += 1;
  }

  /* ---- sound: the voice (voice.js), or an optional chime alone ---- */

  var voice = null;
  function announce(calls) {
    if (voice) {
      calls.forEach(function (call) { voice.submit(call); });
    } else {
      chime();
    }
  }

  function showSoundPrompt(locked) {
    /* until the browser lets the page play sound, it asks for the one key press it needs */
    $("sound-prompt-vi").textContent = "♪ " + TEXT.enableSound[0];
    $("sound-prompt-en").textContent = TEXT.enableSound[1];
    $("sound-prompt").classList.toggle("shown", locked);
  }

  var audio = null;
  function chime() {
    if (!settings.sound) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") { audio.resume(); }
      [[659.25, 0], [523.25, 0.45]].forEach(function (tone) {
        var oscillator = audio.createOscillator(), gain = audio.createGain();
        var start = audio.currentTime + tone[1];
        oscillator.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.4, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.9);
        oscillator.connect(gain); gain.connect(audio.destination);
        oscillator.start(start); oscillator.stop(start + 1.0);
      });
    } catch (error) { /* no audio on this device */ }
  }

  /* ---- connection ---- */

  var socket = null, lastSeq = null, lostAt = null, nextId = 1, delay = settings.reconnectInitial;
  var helloId = null, helloAfter = null, buffered = [], probe = null, lastReceived = now();
  var connectStarted = now();

  function send(message) {
    message.id = nextId++;
    socket.send(JSON.stringify(message));
    return message.id;
  }

  function setStatus(status) {
    if (board.setConnection(status, now())) { render(); }
    window.qmsDisplay.status = status;
  }

  function applyUpdate(update) {
    if (update.changed) { render(); }
    if (update.calls && update.calls.length) { announce(update.calls); }
    if (update.snapshotNeeded && socket && socket.readyState === 1) { requestSnapshot(); }
  }

  function requestSnapshot() {
    probe = { id: send({ type: "snapshot" }), sentAt: now(), kind: "snapshot" };
  }

  function connect() {
    helloId = null; buffered = []; probe = null; connectStarted = now();
    try {
      socket = new WebSocket(settings.url);
    } catch (error) { scheduleReconnect(); return; }
    socket.onopen = function () {
      helloAfter = lastSeq;
      var hello = { type: "hello", protocol: 1, role: "display", token: settings.token,
                    lang: "vi", subscribe: LOBBY_DISPLAY_EVENTS };
      if (settings.site) { hello.site = settings.site; }
      if (lastSeq !== null) { hello.after = lastSeq; }
      helloId = send(hello);
    };
    socket.onmessage = function (frame) {
      lastReceived = now();
      var message;
      try { message = JSON.parse(frame.data); } catch (error) { return; }
      if (message.type === "event") {
        if (helloId !== null) { buffered.push(message); return; }  /* before the hello reply */
        lastSeq = Math.max(lastSeq || 0, message.seq);
        applyUpdate(board.applyEvent(message, now()));
        return;
      }
      if (message.type !== "reply") { return; }
      if (message.id === helloId) { onHello(message); return; }
      if (probe && message.id === probe.id) {
        var kind = probe.kind;
        probe = null;
        if (kind === "snapshot" && message.ok) {
          var result = message.result;
          lastSeq = result.seq;
          applyUpdate(board.applySnapshot(result.state, result.seq, now(), [], false));
        } else if (kind === "resume" && !message.ok) {
          requestSnapshot();  /* a gap (or the server's events were reset): start over */
        }
      }
    };
    socket.onclose = function () { lost(); };
    socket.onerror = function () { /* onclose follows */ };
  }

  function onHello(message) {
    helloId = null;
    if (!message.ok) {
      var error = message.error || {};
      if (error.code === "moved") {
        /* Several server processes: another one serves the site. Its own /display page is
           opened with the same settings (the page may only connect to where it came from);
           without an address (a takeover under way) this one tries again shortly. */
        var page = ownerPage(error.url);
        var moving = socket; lost("lost"); moving.close();
        if (page) { window.location.replace(page); }
        return;
      }
      window.qmsDisplay.error = message.error ? error.code + ": " + error.message : "refused";
      var refused = socket; lost("refused"); refused.close();
      return;
    }
    var result = message.result, seq = result.seq, at = now();
    var replayed = buffered.filter(function (event) { return event.seq <= seq; });
    var later = buffered.filter(function (event) { return event.seq > seq; });
    buffered = [];
    var announce = helloAfter !== null && lostAt !== null && at - lostAt <= settings.replayAnnounce;
    lastSeq = seq;
    delay = settings.reconnectInitial;
    lostAt = null;
    board.setConnection("connected", at);
    window.qmsDisplay.status = "connected";
    applyUpdate(board.applySnapshot(result.state, seq, at, replayed, announce));
    later.forEach(function (event) {
      lastSeq = Math.max(lastSeq, event.seq);
      applyUpdate(board.applyEvent(event, now()));
    });
  }

  /* The /display page of the process whose WebSocket address is ``url``
     (ws://host:port/ws), with this page's query; null for anything else. */
  function ownerPage(url) {
    var match = /^(wss?):\/\/([^\/?#\s]+)\/ws$/.exec(url || "");
    if (!match) { return null; }
    var origin = (match[1] === "wss" ? "https:" : "http:") + "//" + match[2];
    if (origin === window.location.origin) { return null; }
    var query = new URLSearchParams(window.location.search);
    query.delete("ws");  /* that process's own address, not the one given to this page */
    var rest = query.toString();
    return origin + "/display" + (rest ? "?" + rest : "");
  }

  function lost(status) {
    if (socket === null) { return; }
    socket.onclose = socket.onmessage = socket.onopen = socket.onerror = null;
    socket = null;
    if (board.status === "connected" || lostAt === null) { lostAt = now(); }
    setStatus(status || "lost");
    scheduleReconnect();
  }

  function scheduleReconnect() {
    window.setTimeout(connect, delay * 1000);
    delay = Math.min(delay * 2, settings.reconnectMax);
  }

  function everySecond() {
    var at = now();
    renderClock();
    if (board.banner(at) !== rendered.banner || (rendered.flashing && !flashing(at))) {
      render();  /* the banner changed, or a flash is over (so the next one starts afresh) */
    }
    if (socket && (socket.readyState === 0 || helloId !== null) &&
        at - connectStarted > settings.openTimeout) {
      var held = socket; lost(); held.close();  /* not open, or no hello reply: try again */
    } else if (socket && socket.readyState === 1 && helloId === null) {
      if (probe && at - probe.sentAt > settings.probeTimeout) {
        window.qmsDisplay.probeTimeouts += 1;
        var dead = socket; lost(); dead.close();
      } else if (!probe && at - lastReceived > settings.idleProbe) {
        window.qmsDisplay.probes += 1;
        probe = { id: send({ type: "resume", after: lastSeq || 0 }), sentAt: at, kind: "resume" };
      }
    }
    window.setTimeout(everySecond, 1000 - (Date.now() % 1000) + 5);
  }

  window.qmsDisplay = { board: board, settings: settings, status: "connecting", renders: 0,
                        probes: 0, probeTimeouts: 0, error: null, fontsLoaded: false };
  if (settings.voice && window.QmsVoice) {
    voice = new window.QmsVoice.VoiceQueue({ languages: settings.voiceLanguages,
                                             numberReading: settings.numberReading,
                                             maxPending: 50, onLockChange: showSoundPrompt });
    window.qmsDisplay.voice = voice.report;
  }
  window.addEventListener("resize", scaleStage);
  scaleStage();
  render();
  if (document.fonts && document.fonts.load) {
    /* fonts load when first used; load all three now and fit the text again once they are in */
    Promise.all(["400 40px 'QMS Sans'", "700 40px 'QMS Sans'", "700 40px 'QMS Condensed'"]
      .map(function (font) { return document.fonts.load(font, "Số 0123"); }))
      .then(function () { window.qmsDisplay.fontsLoaded = true; rendered.notice = null; render(); },
            function () { window.qmsDisplay.fontsLoaded = true; });
  }
  connect();
  everySecond();
})();
