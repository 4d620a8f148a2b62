/*
 * The create-invoice modal's own behaviour, declared in markup (no inline script):
 *
 * - (the linking popovers are popover.js's);
 * - Enter in a single-line field does not post the invoice (only the button does);
 * - after lines are added, moved or removed, focus goes to the line the server names;
 * - "Download PDF" fetches with the page's session header and saves the file;
 * - the live summary's answer skips the totals of lines removed meanwhile;
 * - data-reload.
 */
(function () {
  "use strict";

  function sessionHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (e) {
      return {};
    }
  }

  document.addEventListener("htmx:afterSettle", function () {
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

  document.addEventListener("click", function (event) {
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
