// Tells the settings page that opened this window how the QuickBooks connection went.
(function () {
  "use strict";
  var outcome = document.body.getAttribute("data-outcome");
  if (window.opener && outcome) {
    try {
      window.opener.postMessage({ type: "quickbooks:connection", outcome: outcome }, "*");
    } catch (e) {
      /* the opener may be gone or cross-origin */
    }
  }
})();
