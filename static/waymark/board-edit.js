// Editing in place on the map board (editors only): rename stages and touchpoints and change a
// touchpoint's emotion where they are, drag stages to reorder them, undo the last change, keyboard
// shortcuts and their help dialog. Every write posts the board's revision; a refused one (400, or
// 409 when someone else changed the map) answers the current board, and the editor opens again
// with what the person typed, so nothing they wrote is lost (docs/journeys.md).
(function () {
  "use strict";
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (fmt, obj, named) {
    return named ? fmt.replace(/%\((\w+)\)s/g, function (m, key) { return String(obj[key]); }) : fmt;
  };
  // An inline edit in flight: {id, kind, field, value}; opened again when the save is refused.
  var pending = null;

  function workspace() { return document.getElementById("map-workspace"); }
  function revision() { var ws = workspace(); return ws ? ws.dataset.revision : ""; }
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function panelOpen() { return document.querySelector("#panel .wm-panel-inner"); }

  function post(url, values) {
    if (!window.htmx || !url) return null;
    values.revision = revision();
    return window.htmx.ajax("POST", url, { target: "#panel", swap: "innerHTML", values: values });
  }

  // --- inline editors ---------------------------------------------------------------------------

  function holderOf(el) { return el && el.closest && el.closest(".wm-tp[data-inline-url], .wm-stage[data-inline-url]"); }
  function isStage(holder) { return holder.classList.contains("wm-stage"); }
  function titleOf(holder) {
    return isStage(holder) ? holder.querySelector(".wm-stage-title h2") : holder.querySelector(".wm-tp-title");
  }
  function nameOf(holder) { var t = titleOf(holder); return t ? t.textContent.trim() : ""; }

  function note(form, text) {
    if (!text) return;
    var p = document.createElement("p");
    p.className = "wm-inline-note";
    p.setAttribute("role", "alert");
    p.textContent = text;
    form.appendChild(p);
  }

  function closeEditors() {
    document.querySelectorAll(".wm-inline-form").forEach(function (form) {
      var hidden = form.previousElementSibling;
      if (hidden) hidden.hidden = false;
      form.remove();
    });
  }

  function save(holder, field, value, original) {
    if (value === original) return false;
    pending = { id: holder.id, field: field, value: value };
    post(holder.dataset.inlineUrl, { field: field, value: value });
    return true;
  }

  function rename(holder, value, message) {
    var title = titleOf(holder);
    if (!title || holder.querySelector(".wm-inline-form")) return;
    closeEditors();
    var current = nameOf(holder);
    var form = document.createElement("form");
    form.className = "wm-inline-form";
    form.setAttribute("data-no-submit", "");
    var input = document.createElement("input");
    input.type = "text";
    input.name = "value";
    input.required = true;
    input.maxLength = isStage(holder) ? 120 : 200;
    input.value = value == null ? current : value;
    input.setAttribute("aria-label", interpolate(
      isStage(holder) ? gettext("New name of the stage %(name)s") : gettext("New name of the touchpoint %(name)s"),
      { name: current }, true));
    var hint = document.createElement("span");
    hint.className = "wm-inline-hint";
    hint.textContent = gettext("Enter saves, Escape cancels");
    form.appendChild(input);
    form.appendChild(hint);
    note(form, message);
    title.hidden = true;
    title.after(form);
    var done = false;
    function finish(keep) {
      if (done) return;
      done = true;
      var text = input.value.trim();
      var saving = keep && text !== "" && save(holder, "name", text, current);
      form.remove();
      title.hidden = false;
      if (!saving) focusHolder(holder);
    }
    form.addEventListener("submit", function (event) { event.preventDefault(); finish(true); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); finish(true); }
      else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); finish(false); }
    });
    input.addEventListener("blur", function () { finish(true); });
    input.focus();
    input.select();
  }

  function emotions() {
    var data = document.getElementById("emotion-choices");
    return data ? JSON.parse(data.textContent) : [];
  }

  function pickEmotion(holder, value, message) {
    var chip = holder.querySelector("[data-inline-emotion]");
    if (!chip || holder.querySelector(".wm-inline-form")) return;
    closeEditors();
    var current = holder.dataset.emotion;
    var form = document.createElement("form");
    form.className = "wm-inline-form wm-inline-emotion";
    form.setAttribute("data-no-submit", "");
    var select = document.createElement("select");
    select.setAttribute("aria-label", interpolate(gettext("Emotion at %(name)s"), { name: nameOf(holder) }, true));
    emotions().forEach(function (choice) {
      var option = document.createElement("option");
      option.value = choice[0];
      option.textContent = choice[1] + " " + (choice[2] > 0 ? "+" : "") + choice[2];
      select.appendChild(option);
    });
    select.value = value || current;
    form.appendChild(select);
    note(form, message);
    chip.hidden = true;
    chip.after(form);
    var done = false;
    function finish(keep) {
      if (done) return;
      done = true;
      var saving = keep && save(holder, "emotion_label", select.value, current);
      form.remove();
      chip.hidden = false;
      if (!saving) chip.focus();
    }
    select.addEventListener("change", function () { finish(true); });
    select.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); finish(true); }
      else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); finish(false); }
    });
    select.addEventListener("blur", function () { finish(false); });
    select.focus();
  }

  function focusHolder(holder) {
    var target = holder && (isStage(holder) ? holder.querySelector("[data-inline-rename]") : holder.querySelector(".wm-tp-open"));
    if (target) target.focus();
  }

  // A refused inline save: the board behind it is now the saved one; open the editor again on the
  // same element with what the person typed, and say why.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!pending) return;
    var edit = pending;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    pending = null;
    if (status >= 200 && status < 300) return;
    var message = status === 409
      ? gettext("Someone else changed this map: here is theirs. Your text is kept; save again to put it on top.")
      : gettext("Not saved: check what you typed.");
    setTimeout(function () {
      var holder = document.getElementById(edit.id);
      if (!holder) { if (window.Waymark) window.Waymark.toast(gettext("What you were editing was deleted meanwhile."), "error"); return; }
      if (edit.field === "name") rename(holder, edit.value, message);
      else pickEmotion(holder, edit.value, message);
    }, 80);
  });

  // --- dragging stages --------------------------------------------------------------------------

  function enableStageDrag() {
    var board = document.querySelector(".wm-board");
    if (!window.Sortable || !board || board._stageSortable || !board.querySelector(".wm-stage[data-move-url]")) return;
    board._stageSortable = window.Sortable.create(board, {
      group: "stages",
      draggable: ".wm-stage[data-move-url]",
      handle: ".wm-stage-head",
      filter: "button, input, select, .wm-inline-form",
      preventOnFilter: false,
      animation: 120,
      ghostClass: "wm-stage-ghost",
      onEnd: function (evt) {
        if (evt.oldDraggableIndex === evt.newDraggableIndex) return;
        post(evt.item.dataset.moveUrl, { position: evt.newDraggableIndex });
      },
    });
  }

  // --- undo, help, shortcuts --------------------------------------------------------------------

  function undo() {
    var button = document.querySelector("[data-board-undo]");
    if (button) post(button.dataset.undoUrl, {});
  }

  function help() {
    var dialog = document.getElementById("board-help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  function moveFocused(holder, direction) {
    var button;
    if (isStage(holder)) {
      if (direction !== "left" && direction !== "right") return false;
      button = holder.querySelector(".wm-stage-tools [hx-vals*='\"" + direction + "\"']");
    } else {
      button = holder.querySelector(".wm-move [hx-vals*='\"" + direction + "\"']");
    }
    if (!button || button.disabled) return false;
    button.click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (!workspace() || event.defaultPrevented || typing(event.target)) return;
    var dialog = document.getElementById("board-help");
    if (dialog && dialog.open) return;
    var key = event.key;
    var holder = holderOf(document.activeElement);
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && (key === "z" || key === "Z")) {
      if (panelOpen()) return; // the panel's form keeps the browser's own undo
      event.preventDefault();
      undo();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (key === "?") { event.preventDefault(); help(); return; }
    if (key === "u" || key === "U") { event.preventDefault(); undo(); return; }
    if (!holder) return;
    if (key === "F2" || key === "r" || key === "R") { event.preventDefault(); rename(holder); return; }
    if ((key === "e" || key === "E") && !isStage(holder)) { event.preventDefault(); pickEmotion(holder); return; }
    if (event.shiftKey) {
      var direction = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" }[key];
      if (direction && moveFocused(holder, direction)) event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-inline-rename], [data-inline-emotion], [data-board-undo], [data-board-help], [data-close-dialog]");
    if (!el) return;
    if (el.hasAttribute("data-inline-rename")) { event.preventDefault(); rename(holderOf(el)); }
    else if (el.hasAttribute("data-inline-emotion")) { event.preventDefault(); pickEmotion(holderOf(el)); }
    else if (el.hasAttribute("data-board-undo")) { event.preventDefault(); undo(); }
    else if (el.hasAttribute("data-board-help")) { event.preventDefault(); help(); }
    else { var dialog = el.closest("dialog"); if (dialog) dialog.close(); }
  });

  document.addEventListener("dblclick", function (event) {
    var heading = event.target.closest && event.target.closest(".wm-stage[data-inline-url] .wm-stage-title h2");
    if (heading) rename(holderOf(heading));
  });

  document.addEventListener("DOMContentLoaded", enableStageDrag);
  document.addEventListener("htmx:afterSettle", enableStageDrag);
})();
