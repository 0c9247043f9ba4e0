/*! Waymark survey widget. One tag, no dependencies:
 *  <script src="https://waymark.example.com/static/waymark/widget/waymark-survey.js"
 *          data-survey="PUBLIC_KEY" data-respondent="customer-42" data-locale="lv" async></script>
 * Asks the server whether to show, renders in a Shadow DOM (the page's styles cannot reach it),
 * records the display, posts the score at once and the rest on "Send" under one submission id.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) return;
  var key = script.getAttribute("data-survey");
  if (!key) return;
  var base = new URL(script.src, location.href).origin;
  var api = base + "/api/public/surveys/" + encodeURIComponent(key) + "/";
  var respondent = script.getAttribute("data-respondent") || "";
  var locale = script.getAttribute("data-locale") || document.documentElement.lang || navigator.language || "en";
  var memoryKey = "waymark-survey:" + key;
  var submissionId = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() :
    Date.now().toString(36) + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);

  function remembered() {
    try { return !respondent && localStorage.getItem(memoryKey); } catch (e) { return false; }
  }
  function remember() { try { localStorage.setItem(memoryKey, String(Date.now())); } catch (e) { /* private mode */ } }
  function getJSON(url) {
    return fetch(url, { credentials: "omit" }).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  function post(path, body) {
    return fetch(api + path, {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) { return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; }); });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name]; else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  var CSS = [
    ":host{all:initial}",
    ".box{position:fixed;bottom:16px;right:16px;z-index:2147483000;width:min(380px,calc(100vw - 32px));max-height:calc(100vh - 32px);overflow:auto;box-sizing:border-box;",
    "background:#fff;color:#1e293b;border:1px solid #e2e8f0;border-radius:12px;box-shadow:0 10px 30px rgba(15,23,42,.18);padding:16px 16px 12px;",
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans SC','Noto Sans Arabic',sans-serif}",
    ".box[dir=rtl]{right:auto;left:16px}",
    "h2{font-size:16px;margin:0 28px 10px 0;font-weight:650}.box[dir=rtl] h2{margin:0 0 10px 28px}",
    ".x{position:absolute;top:8px;right:8px;border:0;background:transparent;font-size:20px;line-height:1;padding:6px;border-radius:6px;cursor:pointer;color:#475569}",
    ".box[dir=rtl] .x{right:auto;left:8px}",
    "fieldset{border:0;margin:0 0 12px;padding:0;min-width:0}legend{font-weight:600;margin-bottom:6px;padding:0}",
    ".scale{display:flex;flex-wrap:wrap;gap:4px}.scale label{position:relative}",
    ".scale input{position:absolute;opacity:0;inset:0;margin:0}",
    ".scale span{display:inline-grid;place-items:center;min-width:28px;height:32px;padding:0 2px;border:1px solid #cbd5e1;border-radius:6px;font-weight:600;cursor:pointer;background:#fff}",
    ".scale input:checked+span{background:#4f46e5;border-color:#4f46e5;color:#fff}",
    ".scale input:focus-visible+span,.x:focus-visible,button:focus-visible,textarea:focus-visible,.opt input:focus-visible{outline:3px solid #4f46e5;outline-offset:2px}",
    ".ends{display:flex;justify-content:space-between;font-size:12px;color:#64748b;margin-top:2px}",
    ".opt{display:block;margin:2px 0}",
    "textarea{width:100%;box-sizing:border-box;font:inherit;border:1px solid #cbd5e1;border-radius:6px;padding:6px}",
    ".send{background:#4f46e5;color:#fff;border:0;border-radius:8px;padding:8px 16px;font:inherit;font-weight:600;cursor:pointer}",
    ".send[disabled]{opacity:.6;cursor:progress}",
    ".err{color:#b91c1c;font-size:13px;display:block;margin-top:4px}",
    ".muted{color:#64748b;font-weight:400}",
    "@media (prefers-reduced-motion:no-preference){.box{animation:in .18s ease-out}@keyframes in{from{opacity:0;transform:translateY(8px)}}}"
  ].join("");

  function render(survey) {
    var host = el("div", { "data-waymark-survey": key });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var ui = survey.ui || {};
    var titleId = "wm-title";
    var box = el("div", { "class": "box", role: "dialog", "aria-modal": "false", "aria-labelledby": titleId, dir: survey.dir, lang: survey.locale });
    var status = el("p", { role: "status", "aria-live": "polite", "class": "muted" });
    var close = el("button", { type: "button", "class": "x", "aria-label": ui.close || "Close", text: "\u00d7" });
    var form = el("form", { novalidate: "" });
    var controls = {};
    var scoreSent = false;

    survey.questions.forEach(function (q, index) {
      var qid = "wm-q" + index;
      var fs = el("fieldset", { "aria-describedby": qid + "-err" });
      var legend = el("legend", { id: qid + "-label", text: q.text });
      if (!q.required) legend.appendChild(el("span", { "class": "muted", text: " (" + (ui.optional || "optional") + ")" }));
      fs.appendChild(legend);
      if (q.min !== null && q.min !== undefined) {
        var scale = el("div", { "class": "scale", role: "radiogroup", "aria-labelledby": qid + "-label" });
        for (var n = q.min; n <= q.max; n++) {
          var input = el("input", { type: "radio", name: q.key, value: String(n) });
          scale.appendChild(el("label", {}, [input, el("span", { text: String(n) })]));
        }
        fs.appendChild(scale);
        var low = q.kind === "nps" ? ui.low_nps : ui.low, high = q.kind === "nps" ? ui.high_nps : ui.high;
        fs.appendChild(el("div", { "class": "ends", "aria-hidden": "true" }, [el("span", { text: low }), el("span", { text: high })]));
      } else if (q.kind === "single" || q.kind === "multiple") {
        q.choices.forEach(function (c) {
          var input = el("input", { type: q.kind === "single" ? "radio" : "checkbox", name: q.key, value: c.value });
          fs.appendChild(el("label", { "class": "opt" }, [input, document.createTextNode(" " + c.label)]));
        });
      } else {
        fs.appendChild(el("textarea", { name: q.key, rows: "3", maxlength: "4000", "aria-labelledby": qid + "-label" }));
      }
      fs.appendChild(el("small", { id: qid + "-err", "class": "err", role: "alert" }));
      controls[q.key] = { q: q, fs: fs };
      form.appendChild(fs);
    });
    var send = el("button", { type: "submit", "class": "send", text: ui.submit || "Send" });
    form.appendChild(send);
    box.appendChild(el("h2", { id: titleId, text: survey.title }));
    box.appendChild(close);
    box.appendChild(form);
    box.appendChild(status);
    var style = el("style", { text: CSS });
    root.appendChild(style);
    root.appendChild(box);
    document.body.appendChild(host);

    function answers() {
      var out = {};
      Object.keys(controls).forEach(function (k) {
        var q = controls[k].q, fs = controls[k].fs;
        if (q.kind === "multiple") {
          var picked = [].slice.call(fs.querySelectorAll("input:checked")).map(function (i) { return i.value; });
          if (picked.length) out[k] = picked;
        } else if (q.kind === "text") {
          var t = fs.querySelector("textarea").value.trim();
          if (t) out[k] = t;
        } else {
          var c = fs.querySelector("input:checked");
          if (c) out[k] = (q.min !== null && q.min !== undefined) ? parseInt(c.value, 10) : c.value;
        }
      });
      return out;
    }
    function payload(finished) {
      return { submission_id: submissionId, answers: answers(), finished: finished, locale: survey.locale,
        respondent_id: respondent, channel: "widget", page_url: location.href.slice(0, 500) };
    }
    function showErrors(errors) {
      Object.keys(controls).forEach(function (k) { controls[k].fs.querySelector(".err").textContent = ""; });
      Object.keys(errors || {}).forEach(function (field) {
        var k = field.replace(/^answers\./, "");
        if (controls[k]) controls[k].fs.querySelector(".err").textContent = errors[field].join(" ");
        else status.textContent = errors[field].join(" ");
      });
    }
    // The score goes out as soon as it is chosen, so it counts even if the comment never comes.
    form.addEventListener("change", function (event) {
      var c = controls[event.target.name];
      if (!c || scoreSent || c.q.min === null || c.q.min === undefined) return;
      scoreSent = true;
      post("responses/", payload(false)).then(function (r) { if (!r.ok) scoreSent = false; }, function () { scoreSent = false; });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var missing = {};
      var given = answers();
      survey.questions.forEach(function (q) { if (q.required && !(q.key in given)) missing["answers." + q.key] = [ui.required]; });
      if (Object.keys(missing).length) { showErrors(missing); return; }
      send.disabled = true;
      send.setAttribute("aria-busy", "true");
      post("responses/", payload(true)).then(function (r) {
        send.disabled = false;
        send.removeAttribute("aria-busy");
        if (r.ok) {
          remember();
          form.remove();
          status.className = "";
          status.textContent = survey.thank_you;
          setTimeout(function () { host.remove(); }, 4000);
        } else {
          showErrors(r.data.errors || {});
          if (!r.data.errors) status.textContent = r.data.detail || ui.error;
        }
      }, function () { send.disabled = false; send.removeAttribute("aria-busy"); status.textContent = ui.error; });
    });
    function dismiss() {
      remember();
      post("displays/", { event: "dismissed", respondent_id: respondent, locale: survey.locale, page_url: location.href.slice(0, 500) });
      host.remove();
    }
    close.addEventListener("click", dismiss);
    box.addEventListener("keydown", function (event) { if (event.key === "Escape") dismiss(); });
    post("displays/", { event: "shown", respondent_id: respondent, locale: survey.locale, page_url: location.href.slice(0, 500) });
  }

  function start() {
    if (remembered()) return;
    getJSON(api + "eligibility/?respondent_id=" + encodeURIComponent(respondent))
      .then(function (e) { if (!e.eligible) throw new Error("not eligible: " + e.reason); return getJSON(api + "?locale=" + encodeURIComponent(locale)); })
      .then(render)
      .catch(function () { /* the host page must never break because of the survey */ });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
