// Discussions on the map page: presence says what the side panel is editing, and a thread opened
// from a notification scrolls into view.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-presence")) return;
    // The editing panel's form posts to the part it edits (a stage, a touchpoint...): the server
    // reads what that is from the path. Nothing open, nothing edited.
    var form = document.querySelector("#panel form.wm-panel-form");
    var path = form ? form.getAttribute("action") || "" : "";
    event.detail.parameters.editing = path;
  });
  // Presence polls every 10 s: no progress bar for it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "panel") {
      var focus = target.querySelector("[data-focus-thread]");
      if (focus) focus.scrollIntoView({ block: "nearest" });
    }
  });
})();
