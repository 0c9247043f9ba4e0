// Waymark UI glue: toasts from HX-Trigger "messages" events, focus after swaps.
(function () {
  "use strict";
  // Django's JavaScript catalog (/jsi18n/, loaded first by base.html); English if it failed to load.
  var gettext = window.gettext || function (text) { return text; };
  function toast(message, tags) {
    var box = document.getElementById("wm-toasts");
    if (!box) return;
    var el = document.createElement("p");
    el.className = "wm-toast wm-toast-" + (tags || "info");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 5000);
  }
  document.addEventListener("messages", function (event) {
    (event.detail.value || event.detail || []).forEach(function (m) { toast(m.message, m.tags); });
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 500) toast(gettext("Something went wrong on our side. Nothing was saved; please try again."), "error");
    else if (status === 403) toast(gettext("Your role in this team does not allow this."), "error");
    else if (status === 404) toast(gettext("That no longer exists, or you cannot see it."), "error");
  });
  document.addEventListener("htmx:sendError", function () { toast(gettext("Could not reach Waymark. Check your connection."), "error"); });
  // The main navigation's menu button (narrow screens): the menu opens and closes with the button,
  // Escape closes it and gives the focus back to the button.
  document.documentElement.classList.add("wm-js");
  function navToggle() { return document.querySelector(".wm-nav-toggle"); }
  function setNav(open) {
    var button = navToggle();
    if (button) button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".wm-nav-toggle");
    if (button) setNav(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    var button = navToggle();
    if (event.key !== "Escape" || !button || button.getAttribute("aria-expanded") !== "true") return;
    if (!document.getElementById("wm-nav-menu").contains(document.activeElement) && document.activeElement !== button) return;
    setNav(false);
    button.focus();
  });
  // Let 4xx form responses swap in so field errors show next to the fields.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409 || status === 422) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });
  // Behaviour the templates ask for with data attributes: the Content-Security-Policy allows no
  // inline handlers (onclick=, onchange=), so they are all here.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-no-submit")) { event.preventDefault(); return; }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print], [data-remove-form]");
    if (!el) return;
    if (el.hasAttribute("data-print")) { event.preventDefault(); window.print(); return; }
    if (window.htmx && el.closest("form")) { event.preventDefault(); el.closest("form").remove(); }
  });
  window.Waymark = { toast: toast };
})();
