/*
 * The create-invoice modal's own behaviour, declared in markup (no inline script):
 *
 * - popovers are <dialog data-popover> fragments swapped into #popover-slot: opened as modal
 *   dialogs (focus moves in, Escape closes), removed when closed, focus back where it was;
 * - Enter in a single-line field does not post the invoice (only the button does);
 * - after lines are added, moved or removed, focus goes to the line the server names;
 * - "Download PDF" fetches with the page's session header and saves the file;
 * - the live summary's answer skips the totals of lines removed meanwhile;
 * - small helpers: data-fill (use a suggested name), data-reload.
 */
(function () {
  "use strict";

  var opener = null;

  function sessionHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (e) {
      return {};
    }
  }

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
    var lines = document.getElementById("lines");
    if (!lines || lines.dataset.focus === undefined) return;
    var op = lines.dataset.focusOp || "";
    var row = document.getElementById("line-" + lines.dataset.focus);
    var target = null;
    if (row && op !== "add") target = row.querySelector('[data-op="' + op + '"]:not([disabled])');
    if (row && !target) target = row.querySelector("input[type=text]");
    if (!target) target = lines.querySelector("button[value=add]");
    delete lines.dataset.focus;
    if (target) target.focus();
  });

  // The live summary's answer names each line's total by id; a line removed while that
  // answer was on its way is left out of it, rather than swapped into nothing.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-live-summary")) return;
    var holder = document.createElement("template");
    holder.innerHTML = event.detail.serverResponse;
    holder.content.querySelectorAll("[hx-swap-oob]").forEach(function (node) {
      if (!node.id || !document.getElementById(node.id)) node.remove();
    });
    event.detail.serverResponse = holder.innerHTML;
  });

  // The slot is emptied by a confirmed popover: give focus back to what opened it.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "popover-slot" &&
        !event.detail.target.children.length && opener && opener.isConnected) {
      opener.focus();
    } else if (event.detail.target && event.detail.target.id === "popover-slot" && opener && !opener.isConnected) {
      var key = opener.dataset && opener.dataset.lineKey;
      var again = key && document.querySelector('#line-item-' + key + " button");
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
      return;
    }
    if (event.target.closest("[data-reload]")) {
      window.location.reload();
      return;
    }
    var download = event.target.closest("[data-download]");
    if (download) {
      event.preventDefault();
      download.setAttribute("aria-busy", "true");
      fetch(download.dataset.download, { headers: sessionHeaders() })
        .then(function (response) {
          if (!response.ok) throw new Error("download refused");
          return response.blob();
        })
        .then(function (blob) {
          var url = URL.createObjectURL(blob);
          var link = document.createElement("a");
          link.href = url;
          link.download = download.dataset.downloadName || "invoice.pdf";
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        })
        .catch(function () {
          var region = document.getElementById("live-region");
          if (region) region.textContent = download.dataset.downloadError || "";
        })
        .finally(function () {
          download.removeAttribute("aria-busy");
        });
    }
  });

  // Typing into "Create new …" chooses it.
  document.addEventListener("focusin", function (event) {
    var section = event.target.closest("[data-new-choice]");
    if (!section) return;
    var radio = section.parentElement.querySelector('input[name=choice][value="new"]');
    if (radio) radio.checked = true;
  });

  // Escape closes a popover at once (in a search box it would only clear the text first).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var dialog = event.target.closest && event.target.closest("dialog[data-popover][open]");
    if (!dialog) return;
    event.preventDefault();
    dialog.close();
  });

  // Enter in a one-line field would post the whole invoice: only the button does that.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) return;
    var field = event.target;
    if (!field.closest || !field.closest("#invoice-form")) return;
    if (field.tagName === "INPUT" && field.type !== "submit" && field.type !== "button" &&
        field.type !== "checkbox" && field.type !== "radio") {
      event.preventDefault();
    }
  });
})();
