// The window the settings page opened to connect QuickBooks. It asks that page (its opener,
// same origin) for a one-time ticket and posts it; the ticket never appears in a URL. Opened
// any other way (a copied link, a bookmark), there is no opener to ask and nothing happens.
(function () {
  "use strict";
  var form = document.getElementById("connect-form");
  var orphan = document.getElementById("connect-orphan");
  var waiting = document.getElementById("connect-waiting");
  var origin = window.location.origin;

  function giveUp() {
    if (waiting) waiting.hidden = true;
    if (orphan) orphan.hidden = false;
  }

  if (!form || !window.opener) {
    giveUp();
    return;
  }
  var timer = setTimeout(giveUp, 15000);
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== window.opener) return;
    var data = event.data || {};
    if (data.type !== "quickbooks:ticket" || typeof data.ticket !== "string") return;
    clearTimeout(timer);
    form.elements.ticket.value = data.ticket;
    form.submit();
  });
  try {
    window.opener.postMessage({ type: "quickbooks:ticket-request" }, origin);
  } catch (e) {
    giveUp();
  }
})();
