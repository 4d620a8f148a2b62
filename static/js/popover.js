/*
 * The linking popovers (customer, product), declared in markup (no inline script): each is a
 * <dialog data-popover> fragment swapped into the page's #popover-slot. Loaded by every
 * modal that offers one.
 *
 * - it opens as a modal dialog, focus moves into it, Escape closes it at once (in a search box
 *   the browser would only clear the text first), and it is removed when closed;
 * - focus goes back to what opened it (or, when the server replaced that button, to the
 *   button standing in its place for the same line);
 * - small helpers: data-popover-cancel, data-fill (use a suggested name), typing into
 *   "Create new …" chooses it.
 */
(function () {
  "use strict";

  var opener = null;

  function openPopovers(root) {
    (root || document).querySelectorAll("dialog[data-popover]:not([open])").forEach(function (dialog) {
      if (!dialog.isConnected) return;
      dialog.addEventListener("close", function () {
        var slot = dialog.parentElement;
        dialog.remove();
        if (slot && !slot.children.length && opener && opener.isConnected) opener.focus();
      });
      dialog.showModal();
      var focus = dialog.querySelector("[autofocus]") || dialog.querySelector("input, select, button");
      if (focus) focus.focus();
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.getAttribute && elt.getAttribute("hx-target") === "#popover-slot" && !elt.closest("dialog")) {
      opener = elt;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    openPopovers(document);
  });

  // The slot is emptied by a confirmed popover: give focus back to what opened it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "popover-slot" || !opener) return;
    if (!target.children.length && opener.isConnected) {
      opener.focus();
    } else if (!opener.isConnected) {
      var key = opener.dataset && opener.dataset.lineKey;
      var again = key && document.querySelector("#line-item-" + key + " button");
      if (again) again.focus();
    }
  });

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-popover-cancel]");
    if (cancel) {
      var dialog = cancel.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    var fill = event.target.closest("[data-fill]");
    if (fill) {
      var input = document.querySelector(fill.dataset.fill);
      if (input) {
        input.value = fill.dataset.value || "";
        var form = input.closest("form");
        var radio = form && form.querySelector('input[name=choice][value="new"]');
        if (radio) radio.checked = true;
        input.focus();
      }
    }
  });

  // Typing into "Create new …" chooses it.
  document.addEventListener("focusin", function (event) {
    var section = event.target.closest("[data-new-choice]");
    if (!section) return;
    var radio = section.parentElement.querySelector('input[name=choice][value="new"]');
    if (radio) radio.checked = true;
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var dialog = event.target.closest && event.target.closest("dialog[data-popover][open]");
    if (!dialog) return;
    event.preventDefault();
    dialog.close();
  });
})();
