/* QMS web lobby display: voice announcements, with the Qt display's words and voice pack.
 *
 * Which clips make up an announcement is decided by the server, with the Qt display's own code
 * (GET /display/voice/announcement: display/voice/phrases.py); the clips are the shipped voice
 * pack's WAV files (GET /display/voice/clips/<clip>.wav). This file only fetches and decodes
 * them (each clip once per page) and plays them in order through Web Audio, with the gaps the
 * server gives: the same sound as the Qt display's, from a TV's own browser.
 *
 * The queue keeps the contract of display/voice/announcer.py:
 *   - one announcement at a time, in order; a new call never cuts off the one being read (the
 *     next is scheduled only once the last clip of the one before has ended);
 *   - a recall is read again even while the same ticket is being read;
 *   - an announcement of a ticket and counter already waiting is merged into it (counted);
 *   - at most maxPending wait; beyond that the oldest waiting one is dropped (counted);
 *   - one that cannot be fetched or decoded is skipped (counted) and the queue goes on; a
 *     watchdog (its length + 3 s) moves on if the audio clock stops.
 * A browser may allow sound only after a person has pressed a key or touched the page once
 * (its autoplay policy). Until then the queue is locked: onLockChange(true) lets the page ask
 * for that press, and calls are not queued but counted as skipped, so that a TV switched on in
 * the morning does not read out the whole morning's calls when someone presses a key at noon.
 * The first key, click or touch on the page unlocks it for as long as the page is open.
 *
 * report (window.qmsDisplay.voice) says what happened, for the tests and for a look from the
 * browser's console: played (clip names in the order they finished playing), announcements
 * (the latest, with their clips, their start and end on the audio clock, and the wall-clock
 * milliseconds at which each was submitted and scheduled), and the counts.
 * Both lists are capped, so a page left open for weeks does not grow.
 * Plain ES2015 and Web Audio, no build step.
 */
(function () {
  "use strict";

  var MAX_PLAYED = 500;
  var MAX_ANNOUNCEMENTS = 50;
  var WATCHDOG_MARGIN_SECONDS = 3;
  var START_DELAY_SECONDS = 0.05;  /* room to schedule every clip before the first starts */
  var ANNOUNCEMENT_URL = "/display/voice/announcement";

  function wallClock() {
    /* milliseconds since 1970 with sub-millisecond steps, for bench/display_bench.py */
    return performance.timeOrigin + performance.now();
  }

  function capped(list, item, limit) {
    list.push(item);
    if (list.length > limit) { list.splice(0, list.length - limit); }
  }

  /* options: languages ("vi,en" or ""), numberReading ("words", "digits" or ""), maxPending,
     onLockChange(locked) */
  function VoiceQueue(options) {
    var self = this;
    this.options = options;
    this.maxPending = Math.max(1, options.maxPending || 50);
    this.waiting = [];
    this.playing = null;
    this.watchdog = null;
    this.buffers = {};  /* clip name -> Promise of its decoded AudioBuffer */
    this.report = { state: "starting", locked: true, played: [], announcements: [],
                    started: 0, finished: 0, merged: 0, dropped: 0, failed: 0, skipped: 0 };
    var Context = window.AudioContext || window.webkitAudioContext;
    try {
      this.context = Context ? new Context() : null;
    } catch (error) {  /* a TV whose browser has Web Audio but no output */
      this.context = null;
    }
    if (!this.context) { this.report.state = "unsupported"; return; }  /* silent; no prompt */
    this.context.onstatechange = function () { self.stateChanged(); };
    var unlock = function () { self.unlock(); };
    ["keydown", "pointerdown", "touchstart", "click"].forEach(function (name) {
      document.addEventListener(name, unlock, true);
    });
    this.stateChanged();
  }

  VoiceQueue.prototype.stateChanged = function () {
    this.report.state = this.context.state;
    this.setLocked(this.context.state !== "running");
  };

  VoiceQueue.prototype.setLocked = function (locked) {
    this.report.locked = locked;
    if (this.options.onLockChange) { this.options.onLockChange(locked); }
  };

  VoiceQueue.prototype.unlock = function () {
    /* called from a key, click or touch: the one moment a browser lets the sound start */
    var self = this;
    if (this.context && this.context.state !== "running" && this.context.resume) {
      this.context.resume().then(function () { self.stateChanged(); },
                                 function () { self.stateChanged(); });
    }
  };

  /* call: {number, counter, counterName, kind: "call"|"recall"}; returns what was done */
  VoiceQueue.prototype.submit = function (call) {
    if (this.report.locked) { this.report.skipped += 1; return "skipped"; }
    var key = call.number + "\n" + call.counter;
    if (this.waiting.some(function (item) { return item.key === key; })) {
      this.report.merged += 1;
      return "merged";
    }
    if (this.waiting.length >= this.maxPending) {
      this.waiting.shift();
      this.report.dropped += 1;
    }
    var item = { key: key, call: call, submittedAt: wallClock() };
    this.waiting.push(item);
    this.startNext();
    return this.playing === item ? "started" : "queued";
  };

  VoiceQueue.prototype.startNext = function () {
    if (this.playing || !this.waiting.length) { return; }
    var self = this, item = this.waiting.shift();
    this.playing = item;
    this.report.started += 1;
    var call = item.call;
    var query = "ticket=" + encodeURIComponent(call.number) +
      "&counter=" + encodeURIComponent(call.counter) +
      "&counter_name=" + encodeURIComponent(call.counterName || "") +
      "&kind=" + (call.kind === "recall" ? "recall" : "call");
    if (this.options.languages) { query += "&lang=" + encodeURIComponent(this.options.languages); }
    if (this.options.numberReading) {
      query += "&number_reading=" + encodeURIComponent(this.options.numberReading);
    }
    fetch(ANNOUNCEMENT_URL + "?" + query, { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("announcement: HTTP " + response.status); }
        return response.json();
      })
      .then(function (answer) {
        var sentences = answer.sentences.filter(function (sentence) { return sentence.length; });
        var names = [].concat.apply([], sentences);
        return Promise.all(names.map(function (name) { return self.buffer(answer.clip_base, name); }))
          .then(function (decoded) {
            var buffers = {};
            names.forEach(function (name, index) { buffers[name] = decoded[index]; });
            if (self.playing === item) { self.schedule(item, answer, sentences, buffers); }
          });
      })
      .catch(function (error) {
        if (self.playing !== item) { return; }
        self.report.failed += 1;
        if (window.console) { window.console.error("QMS voice: skipped " + call.number + ": " + error); }
        self.finish(item, null);
      });
  };

  VoiceQueue.prototype.buffer = function (base, name) {
    var self = this, context = this.context;
    if (!this.buffers[name]) {
      this.buffers[name] = fetch(base + name + ".wav")
        .then(function (response) {
          if (!response.ok) { throw new Error(name + ": HTTP " + response.status); }
          return response.arrayBuffer();
        })
        .then(function (data) {
          /* the callback form: older TV browsers' decodeAudioData returns no promise */
          return new Promise(function (resolve, reject) { context.decodeAudioData(data, resolve, reject); });
        });
      this.buffers[name].catch(function () { delete self.buffers[name]; });  /* try again later */
    }
    return this.buffers[name];
  };

  VoiceQueue.prototype.schedule = function (item, answer, sentences, buffers) {
    /* every clip on the audio clock at once: word gaps inside a sentence, sentence gaps
       between sentences, as display/voice/pack.py assembles them */
    var self = this, context = this.context;
    var at = context.currentTime + START_DELAY_SECONDS;
    var record = { ticket: answer.ticket, counter: answer.counter, kind: answer.kind,
                   clips: [], start: at, end: null, submittedAt: item.submittedAt,
                   scheduledAt: wallClock() };
    var sources = [];
    sentences.forEach(function (sentence, sentenceIndex) {
      if (sentenceIndex > 0) { at += answer.sentence_gap_ms / 1000; }
      sentence.forEach(function (name, wordIndex) {
        if (wordIndex > 0) { at += answer.word_gap_ms / 1000; }
        var source = context.createBufferSource();
        source.buffer = buffers[name];
        source.connect(context.destination);
        source.onended = function () { capped(self.report.played, name, MAX_PLAYED); };
        source.start(at);
        at += buffers[name].duration;
        record.clips.push(name);
        sources.push(source);
      });
    });
    item.sources = sources;
    capped(this.report.announcements, record, MAX_ANNOUNCEMENTS);
    var last = sources[sources.length - 1];
    var playedEnded = last.onended;
    last.onended = function () { playedEnded(); self.finish(item, record); };
    this.watchdog = window.setTimeout(function () {
      if (self.playing !== item) { return; }
      /* the audio clock stopped (a device gone): give this one up, silenced, so that it cannot
         sound over the next one should the clock start again */
      self.report.failed += 1;
      sources.forEach(function (source) {
        try { source.stop(); } catch (error) { /* already stopped */ }
      });
      self.finish(item, record);
    }, (at - context.currentTime + WATCHDOG_MARGIN_SECONDS) * 1000);
  };

  VoiceQueue.prototype.finish = function (item, record) {
    if (this.playing !== item) { return; }  /* a late signal of one already given up */
    window.clearTimeout(this.watchdog);
    this.watchdog = null;
    if (record) { record.end = this.context.currentTime; }
    (item.sources || []).forEach(function (source) { source.onended = null; });
    this.playing = null;
    this.report.finished += 1;
    this.startNext();
  };

  window.QmsVoice = { VoiceQueue: VoiceQueue };
})();
