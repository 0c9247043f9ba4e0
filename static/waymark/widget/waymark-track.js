/*! Waymark tracking snippet. One tag, no dependencies, Segment's call shapes:
 *  <script src="https://waymark.example.com/static/waymark/widget/waymark-track.js"
 *          data-write-key="wk…" async></script>
 *  <script>window.waymark = window.waymark || []; waymark.push(["track", "Signed Up", {plan: "team"}]);</script>
 * Once loaded, window.waymark has track, page, identify, alias, group, consent, reset and flush.
 * Events are queued (in localStorage too, so a page change loses nothing), sent to /v1/batch in
 * small batches, with sendBeacon when the page is hidden; failed sends are retried with back-off
 * (Retry-After honoured) under the same messageIds, so the server stores each event once.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.JSON) return;
  var writeKey = script.getAttribute("data-write-key");
  if (!writeKey) return;
  var earlier = window.waymark;
  if (earlier && earlier.loaded) return;
  var host = (script.getAttribute("data-host") || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var endpoint = host + "/v1/batch";
  // With a category, nothing is sent (and no id is stored) until consent({<category>: true}).
  var category = script.getAttribute("data-consent-category") || "";
  var autoPage = script.getAttribute("data-auto-page") !== "off";
  var VERSION = "1.0.0";
  var STORE = "waymark:";
  var BATCH = 20; // events per request: a batch stays well under keepalive's 64 KB
  var KEEP = 200; // events kept while the server cannot be reached; the oldest go first
  var WAIT = 500; // ms to gather calls into one request
  var MAX_BACKOFF = 60000;

  // --- storage: localStorage, else a first-party cookie, else this page's memory ---------------
  var memory = {};
  function cookieGet(name) {
    var found = ("; " + document.cookie).split("; " + name + "=")[1];
    return found === undefined ? null : decodeURIComponent(found.split(";")[0]);
  }
  function cookieSet(name, value) {
    var age = value === null ? 0 : 31536000;
    document.cookie = name + "=" + encodeURIComponent(value || "") + "; Max-Age=" + age + "; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }
  function get(name, durable) {
    try { var v = localStorage.getItem(STORE + name); if (v !== null) return v; } catch (e) { /* blocked */ }
    if (durable) { var c = cookieGet("wm_" + name); if (c !== null) return c; }
    return name in memory ? memory[name] : null;
  }
  function set(name, value, durable) {
    memory[name] = value;
    if (!storageAllowed()) return;
    try {
      if (value === null) localStorage.removeItem(STORE + name); else localStorage.setItem(STORE + name, value);
      return;
    } catch (e) { /* private mode, quota: fall back to a cookie for the ids */ }
    if (durable) cookieSet("wm_" + name, value);
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = [].map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // --- consent ------------------------------------------------------------------------------
  var preferences = null;
  try { preferences = JSON.parse(get("consent") || "null"); } catch (e) { preferences = null; }
  function granted() {
    if (!category) return true;
    if (!preferences) return null; // not asked yet: hold the events
    var wanted = category.toLowerCase();
    return Object.keys(preferences).some(function (k) { return k.toLowerCase() === wanted && preferences[k] === true; });
  }
  function storageAllowed() { return granted() === true; }

  var anonymousId = get("anonymousId", true);
  var userId = get("userId", true);
  var queue = [];
  try { queue = JSON.parse(get("queue") || "[]") || []; } catch (e) { queue = []; }
  function ensureIds() {
    if (!anonymousId) anonymousId = uuid();
    set("anonymousId", anonymousId, true);
    if (userId) set("userId", userId, true);
  }
  function save() { set("queue", queue.length ? JSON.stringify(queue) : null); }

  // --- calls -------------------------------------------------------------------------------
  function context() {
    var ctx = {
      library: { name: "waymark-track.js", version: VERSION },
      page: pageProperties(),
      userAgent: navigator.userAgent,
      locale: navigator.language,
      screen: { width: screen.width, height: screen.height }
    };
    try { ctx.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* old browser */ }
    if (preferences) ctx.consent = { categoryPreferences: preferences };
    return ctx;
  }
  function pageProperties() {
    var canonical = document.querySelector("link[rel=canonical]");
    return { path: location.pathname, referrer: document.referrer, search: location.search, title: document.title,
      url: canonical && canonical.href ? canonical.href : location.href.replace(/#.*$/, "") };
  }
  function enqueue(message) {
    var allowed = granted();
    if (allowed === false) return; // refused: nothing is kept or sent
    if (allowed === true) ensureIds();
    else if (!anonymousId) anonymousId = uuid(); // in memory only until consent
    message.anonymousId = anonymousId;
    if (userId && !message.userId) message.userId = userId;
    message.messageId = uuid();
    message.timestamp = new Date().toISOString();
    message.context = context();
    queue.push(message);
    if (queue.length > KEEP) queue.splice(0, queue.length - KEEP);
    save();
    schedule(queue.length >= BATCH ? 0 : WAIT);
  }
  function object(value) { return value && typeof value === "object" && !Array.isArray(value) ? value : {}; }

  var api = {
    loaded: true,
    VERSION: VERSION,
    track: function (event, properties) {
      if (typeof event !== "string" || !event) return;
      enqueue({ type: "track", event: event, properties: object(properties) });
    },
    page: function (name, properties) {
      if (name && typeof name === "object") { properties = name; name = ""; }
      var props = pageProperties();
      Object.keys(object(properties)).forEach(function (k) { props[k] = properties[k]; });
      var message = { type: "page", properties: props };
      if (name) message.name = String(name);
      enqueue(message);
    },
    identify: function (id, traits) {
      if (id && typeof id === "object") { traits = id; id = null; }
      if (id !== null && id !== undefined && id !== "") {
        userId = String(id);
        if (storageAllowed()) set("userId", userId, true);
      }
      enqueue({ type: "identify", userId: userId || undefined, traits: object(traits) });
    },
    alias: function (to, from) {
      if (!to) return;
      enqueue({ type: "alias", userId: String(to), previousId: String(from || userId || anonymousId || "") });
    },
    group: function (groupId, traits) {
      if (!groupId) return;
      enqueue({ type: "group", groupId: String(groupId), traits: object(traits) });
    },
    // Record the visitor's choice (a CMP's category ids): sent with every event as Segment's
    // context.consent.categoryPreferences. Denying the data-consent-category drops what waits.
    consent: function (categoryPreferences) {
      preferences = object(categoryPreferences);
      var allowed = granted();
      if (allowed === false) {
        queue = [];
        ["queue", "anonymousId", "userId"].forEach(function (name) {
          try { localStorage.removeItem(STORE + name); } catch (e) { /* blocked */ }
          cookieSet("wm_" + name, null);
        });
        set("consent", JSON.stringify(preferences)); // no-op: storage is not allowed
        return;
      }
      set("consent", JSON.stringify(preferences));
      ensureIds();
      queue.forEach(function (m) { m.context.consent = { categoryPreferences: preferences }; });
      save();
      schedule(0);
    },
    reset: function () {
      userId = null;
      anonymousId = uuid();
      set("userId", null, true);
      cookieSet("wm_userId", null);
      if (storageAllowed()) set("anonymousId", anonymousId, true);
    },
    user: function () { return { anonymousId: anonymousId, userId: userId }; },
    flush: function () { schedule(0); }
  };

  // --- sending -----------------------------------------------------------------------------
  var timer = null;
  var inFlight = false;
  var attempt = 0;
  var retryAt = 0;
  function schedule(delay) {
    if (inFlight || granted() !== true || !queue.length) return;
    var at = Math.max(Date.now() + delay, retryAt);
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; send(); }, Math.max(0, at - Date.now()));
  }
  function body(items) {
    // text/plain and the key in the body: a simple request, no CORS preflight (as analytics.js).
    return JSON.stringify({ batch: items, sentAt: new Date().toISOString(), writeKey: writeKey });
  }
  function notify(name, detail) {
    try { window.dispatchEvent(new CustomEvent("waymark:" + name, { detail: detail })); } catch (e) { /* old browser */ }
  }
  function done(items) {
    var ids = {};
    items.forEach(function (m) { ids[m.messageId] = true; });
    queue = queue.filter(function (m) { return !ids[m.messageId]; });
    save();
  }
  function take() {
    // Up to BATCH events and well under the server's 500 KB per request (32 KB per event).
    var items = [], size = 0;
    for (var i = 0; i < queue.length && items.length < BATCH; i++) {
      size += JSON.stringify(queue[i]).length;
      if (items.length && size > 400000) break;
      items.push(queue[i]);
    }
    return items;
  }
  function send() {
    if (inFlight || !queue.length || granted() !== true) return;
    var items = take();
    var text = body(items);
    inFlight = true;
    fetch(endpoint, {
      method: "POST", credentials: "omit", keepalive: text.length < 60000,
      headers: { "Content-Type": "text/plain" }, body: text
    }).then(function (response) {
      inFlight = false;
      if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 429 && response.status !== 408)) {
        // Stored, duplicates, or refused for a reason a retry would not change.
        attempt = 0;
        retryAt = 0;
        done(items);
        notify("sent", { status: response.status, count: items.length });
        schedule(0);
        return;
      }
      retry(response.status, parseInt(response.headers.get("Retry-After"), 10));
    }, function () {
      inFlight = false;
      retry(0, NaN);
    });
  }
  function retry(status, retryAfter) {
    attempt += 1;
    var backoff = Math.min(MAX_BACKOFF, 1000 * Math.pow(2, attempt - 1)) * (0.75 + Math.random() / 2);
    var delay = retryAfter >= 0 ? retryAfter * 1000 : backoff;
    retryAt = Date.now() + delay;
    notify("retry", { status: status, attempt: attempt, delay: delay, retryAfter: isNaN(retryAfter) ? null : retryAfter });
    schedule(0);
  }
  function beacon() {
    // The page is going away: hand what waits to the browser, which sends it after the page is gone.
    if (!queue.length || granted() !== true || !navigator.sendBeacon || inFlight || Date.now() < retryAt) return;
    for (var tries = 0; queue.length && tries < KEEP / BATCH; tries++) {
      var items = take();
      if (!navigator.sendBeacon(endpoint, new Blob([body(items)], { type: "text/plain" }))) return; // kept for the next page
      done(items);
    }
  }
  window.addEventListener("pagehide", beacon);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") beacon(); });

  window.waymark = api;
  if (autoPage) api.page();
  // Calls made before the script loaded: window.waymark was an array of [method, ...arguments].
  if (earlier && earlier.length) {
    [].slice.call(earlier).forEach(function (call) {
      if (call && api[call[0]] && typeof api[call[0]] === "function") api[call[0]].apply(api, [].slice.call(call, 1));
    });
  }
  schedule(0);
})();
