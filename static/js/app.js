/*
 * Glue between our server-rendered pages, htmx and Pipedrive's App Extensions SDK.
 *
 * - initialize() runs at once: Pipedrive drops an iframe that has not initialized within 10 s.
 * - The page resizes itself after every htmx swap (panel height clamped to 100-750 px).
 * - Fragment calls carry our session token (hx-headers on <body>); when the server says it
 *   expired, a fresh Pipedrive JWT from get_signed_token buys a new one and the request repeats.
 * - Behaviour is declared in markup with data-sdk-* attributes, so no inline script is needed.
 * - It has no words of its own: what it says comes from the server, in the viewer's language
 *   (data-text-* on <body>, HX-Trigger snackbars, data-confirm-* on the control).
 * - While the panel is visible it asks every few seconds what changed (#panel-live): the list's
 *   tag goes as If-None-Match and each row's version as `known`; the answer is 304 or only the
 *   changed rows, swapped out of band with their open menu and focus kept. Hidden (the SDK's
 *   visibility event, or a background tab) it stops asking, and asks at once when shown.
 */
(function () {
  "use strict";

  var SESSION_HEADER = "X-App-Session";
  var RENEW_BEFORE_MS = 5 * 60 * 1000;
  var body = document.body;
  var surface = body.dataset.surface || "page";
  var SDK = window.AppExtensionsSDK;
  var sdk = null;
  var ready = Promise.reject(new Error("not framed by Pipedrive"));
  ready.catch(function () {});

  // data-text-session-ended → text("sessionEnded")
  function text(name) {
    return body.dataset["text" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
  }

  function setState(name) {
    body.dataset.sdkState = name;
  }

  function contentHeight() {
    var main = document.querySelector("main") || body;
    var box = main.getBoundingClientRect();
    var bottom = box.bottom;
    // An open "…" menu may reach below the content: the frame must hold it too.
    document.querySelectorAll("details[data-menu][open] .menu__items").forEach(function (items) {
      bottom = Math.max(bottom, items.getBoundingClientRect().bottom);
    });
    return Math.ceil(bottom - box.top + 24);
  }

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function sizeForSurface() {
    if (surface === "panel") {
      return { height: clamp(contentHeight(), 100, 750) };
    }
    if (surface === "modal") {
      var width = parseInt(body.dataset.modalWidth || "720", 10);
      var height = parseInt(body.dataset.modalHeight || "560", 10);
      return { width: Math.max(320, width), height: Math.max(120, Math.max(height, contentHeight())) };
    }
    return { height: Math.max(120, contentHeight()) };
  }

  var lastSize = "";
  function resize() {
    if (!sdk || !sdk.initialized) return;
    var size = sizeForSurface();
    var key = JSON.stringify(size);
    if (key === lastSize) return;
    lastSize = key;
    sdk.execute(SDK.Command.RESIZE, size).catch(function () {});
  }

  function applyTheme(theme) {
    document.documentElement.setAttribute("data-theme", theme === "dark" ? "dark" : "light");
  }

  function announce(message) {
    var region = document.getElementById("live-region");
    if (region) region.textContent = message;
  }

  // ---- session renewal ------------------------------------------------------------------

  var renewing = null;
  function currentHeaders() {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}");
    } catch (e) {
      return {};
    }
  }

  function renewSession() {
    if (renewing) return renewing;
    if (!sdk) return Promise.reject(new Error("no SDK"));
    renewing = ready
      .then(function () {
        return sdk.execute(SDK.Command.GET_SIGNED_TOKEN);
      })
      .then(function (reply) {
        return fetch(body.dataset.renewUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            token: reply.token,
            userId: body.dataset.userId,
            companyId: body.dataset.companyId,
          }),
        });
      })
      .then(function (response) {
        if (!response.ok) throw new Error("renewal refused");
        return response.json();
      })
      .then(function (data) {
        var headers = currentHeaders();
        headers[SESSION_HEADER] = data.session;
        body.setAttribute("hx-headers", JSON.stringify(headers));
        scheduleRenewal((data.expires_in || 1200) * 1000);
        return data.session;
      })
      .finally(function () {
        renewing = null;
      });
    return renewing;
  }

  var renewalTimer = null;
  function scheduleRenewal(ttlMs) {
    if (renewalTimer) clearTimeout(renewalTimer);
    renewalTimer = setTimeout(function () {
      renewSession().catch(function () {});
    }, Math.max(30000, ttlMs - RENEW_BEFORE_MS));
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var config = event.detail.requestConfig;
    if (!xhr || xhr.status !== 401 || xhr.getResponseHeader("X-Session-Expired") !== "true") return;
    if (config && config.headers && config.headers["X-Renewed"]) return;
    renewSession()
      .then(function () {
        var elt = config.elt;
        window.htmx.ajax(config.verb.toUpperCase(), config.path, {
          source: elt,
          target: event.detail.target,
          values: config.parameters,
          headers: { "X-Renewed": "1" },
        });
      })
      .catch(function () {
        announce(text("sessionEnded"));
      });
  });

  // ---- declarative SDK actions ----------------------------------------------------------

  function openModal(button) {
    // Modal data is unsigned: the modal re-checks everything it is given.
    var data = {};
    if (button.dataset.modalDealId) data.deal_id = button.dataset.modalDealId;
    button.setAttribute("aria-busy", "true");
    return ready
      .then(function () {
        return sdk.execute(SDK.Command.OPEN_MODAL, {
          type: SDK.Modal.CUSTOM_MODAL,
          action_id: button.dataset.sdkOpenModal,
          data: data,
        });
      })
      .then(function (result) {
        body.dataset.lastModalStatus = (result && result.status) || "";
      })
      .catch(function () {
        announce(text("windowFailed"));
      })
      .finally(function () {
        button.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-sdk-open-modal], [data-sdk-close-modal], [data-sdk-redirect]");
    if (!target) return;
    event.preventDefault();
    if (target.hasAttribute("data-sdk-open-modal")) {
      openModal(target);
    } else if (target.hasAttribute("data-sdk-close-modal")) {
      ready.then(function () {
        return sdk.execute(SDK.Command.CLOSE_MODAL);
      });
    } else {
      ready.then(function () {
        return sdk.execute(SDK.Command.REDIRECT_TO, { view: target.dataset.sdkRedirect });
      });
    }
  });

  // A control that opens another window (e.g. Intuit's consent) tells a part of the page,
  // which then starts waiting. htmx's own `from:` trigger would cancel a link's navigation.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-announce]");
    var target = link && document.querySelector(link.dataset.announceTo);
    if (target && window.htmx) window.htmx.trigger(target, link.dataset.announce);
  });

  // "Connect to QuickBooks": open the connect window ourselves, and when that window (and no
  // other) asks, fetch a one-time ticket with our session and hand it over by postMessage.
  var connectWindow = null;
  var connectTicketUrl = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-connect-window]");
    if (!button) return;
    event.preventDefault();
    connectTicketUrl = button.dataset.connectTicket;
    connectWindow = window.open(button.dataset.connectWindow, "qbo-connect");
  });
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type !== "quickbooks:ticket-request") return;
    if (event.origin !== window.location.origin || !connectWindow || event.source !== connectWindow) return;
    var child = connectWindow;
    fetch(connectTicketUrl, { method: "POST", headers: currentHeaders() })
      .then(function (response) {
        if (!response.ok) throw new Error("ticket refused");
        return response.json();
      })
      .then(function (reply) {
        child.postMessage({ type: "quickbooks:ticket", ticket: reply.ticket }, window.location.origin);
      })
      .catch(function () {
        announce(text("connectFailed"));
      });
  });

  // A failed action's message lands in #app-error; its Dismiss button clears it.
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-dismiss-error]")) return;
    var slot = document.getElementById("app-error");
    if (slot) slot.innerHTML = "";
  });

  // Unsafe actions ask through Pipedrive's own confirmation dialog (hx-confirm on the element).
  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail.question;
    if (!question || !sdk) return;
    event.preventDefault();
    var elt = event.detail.elt;
    // A live update must not replace the row while the question is open: the confirmed
    // request would leave from a row no longer on the page.
    var row = elt.closest("li.invoice");
    if (row) row.dataset.confirming = "true";
    ready
      .then(function () {
        return sdk.execute(SDK.Command.SHOW_CONFIRMATION, {
          title: question,
          description: elt.dataset.confirmDescription || undefined,
          okText: elt.dataset.confirmOk || text("confirmOk"),
          cancelText: elt.dataset.confirmCancel || text("confirmCancel"),
          okColor: elt.dataset.confirmColor || "negative",
        });
      })
      .then(function (reply) {
        if (row) delete row.dataset.confirming;
        if (reply && reply.confirmed) event.detail.issueRequest(true);
      })
      .catch(function () {
        if (row) delete row.dataset.confirming;
      });
  });

  // Server-sent instructions (HX-Trigger): snackbars and closing the modal after a success.
  body.addEventListener("app:snackbar", function (event) {
    var detail = event.detail || {};
    ready.then(function () {
      var args = { message: detail.message || "" };
      if (detail.link) args.link = detail.link;
      return sdk.execute(SDK.Command.SHOW_SNACKBAR, args);
    });
    announce(detail.message || "");
  });
  function snackbar(message, link) {
    announce(message);
    return ready.then(function () {
      var args = { message: message };
      if (link) args.link = link;
      return sdk.execute(SDK.Command.SHOW_SNACKBAR, args);
    });
  }

  // "Copy link": the server answers with the link; the clipboard takes it here (a click's
  // activation still holds). Where the browser refuses, the snackbar offers the link itself.
  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).catch(function () {
        return legacyCopy(text);
      });
    }
    return legacyCopy(text);
  }
  function legacyCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (e) {
      copied = false;
    }
    area.remove();
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  body.addEventListener("app:copy", function (event) {
    var detail = event.detail || {};
    copyText(detail.text || "")
      .then(function () {
        body.dataset.lastCopied = detail.text || "";
        snackbar(detail.message || "");
      })
      .catch(function () {
        snackbar(detail.fallback || "", { url: detail.text, label: detail.text });
      });
  });

  // A control that cannot be used says why when clicked (its title says it on hover).
  document.addEventListener("click", function (event) {
    var control = event.target.closest("[data-explain]");
    if (!control) return;
    event.preventDefault();
    snackbar(control.dataset.explain);
  });

  // "…" menus: one open at a time, closed by Escape or a click elsewhere; the panel grows
  // while one is open so its items are not cut off.
  document.addEventListener(
    "toggle",
    function (event) {
      var menu = event.target;
      if (!menu.matches || !menu.matches("details[data-menu]")) return;
      if (menu.open) {
        document.querySelectorAll("details[data-menu][open]").forEach(function (other) {
          if (other !== menu) other.open = false;
        });
      }
      resize();
    },
    true
  );
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (!menu.contains(event.target) || event.target.closest(".menu__item")) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // The all-invoices filter: typing a date chooses the custom range.
  document.addEventListener("change", function (event) {
    var input = event.target.closest("[data-range-custom]");
    var form = input && input.form;
    var kind = form && form.querySelector("[data-range-kind]");
    if (kind) kind.value = "custom";
  }, true);

  body.addEventListener("app:close-modal", function () {
    ready.then(function () {
      return sdk.execute(SDK.Command.CLOSE_MODAL);
    });
  });

  document.addEventListener("htmx:afterSettle", function () {
    resize();
  });

  // ---- live updates ---------------------------------------------------------------------

  var liveTimer = null;
  var askingFrom = null; // the poller whose question is out (its answer schedules the next)

  function livePoller() {
    return document.getElementById("panel-live");
  }

  function panelShown() {
    return body.dataset.visible !== "false" && !document.hidden;
  }

  function stopAsking() {
    if (liveTimer) clearTimeout(liveTimer);
    liveTimer = null;
  }

  function askLiveLater() {
    stopAsking();
    var poller = livePoller();
    if (!poller || !panelShown()) return;
    liveTimer = setTimeout(askLive, parseInt(poller.dataset.interval || "2000", 10));
  }

  function askLive() {
    stopAsking();
    var poller = livePoller();
    if (!poller || !panelShown() || !window.htmx || askingFrom === poller) return;
    askingFrom = poller;
    window.htmx.trigger(poller, "app:poll");
  }

  function isPoller(elt) {
    return !!elt && elt.id === "panel-live";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var poller = event.detail.elt;
    if (!isPoller(poller)) return;
    var known = [];
    document.querySelectorAll("#invoice-list li.invoice[data-invoice-id]").forEach(function (row) {
      known.push(row.dataset.invoiceId + ":" + (row.dataset.version || ""));
    });
    event.detail.parameters.known = known.join(",");
    if (poller.dataset.etag) event.detail.headers["If-None-Match"] = poller.dataset.etag;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var poller = event.detail.elt;
    if (!isPoller(poller)) return;
    if (askingFrom === poller) askingFrom = null;
    var xhr = event.detail.xhr;
    var etag = xhr && xhr.status === 200 ? xhr.getResponseHeader("ETag") : null;
    if (etag) poller.dataset.etag = etag;
    askLiveLater();
  });

  // A list that arrived by itself (the panel's content, Refresh, after an action) brings a
  // poller of its own: it asks on its schedule (a question the old one had out is dropped).
  document.addEventListener("htmx:afterSettle", function () {
    var poller = livePoller();
    if (poller && !liveTimer && askingFrom !== poller) askLiveLater();
  });

  // A row about to be replaced by a live update: not while an action on it runs or waits for
  // Pipedrive's confirmation (its own answer shows it), and with its menu and focus kept.
  var kept = {};
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var row = event.detail.target;
    if (!row || !row.matches || !row.matches("li.invoice")) return;
    if (row.dataset.confirming || row.querySelector(".htmx-request") || row.classList.contains("htmx-request")) {
      event.detail.shouldSwap = false;
      return;
    }
    var active = document.activeElement;
    var focused = active && row.contains(active) ? active : null;
    kept[row.id] = {
      menuOpen: !!row.querySelector("details[data-menu][open]"),
      focus: focused ? focused.dataset.action || (focused.tagName === "SUMMARY" ? "summary" : "") : null,
    };
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var row = event.detail.elt || event.target;
    if (!row || !row.id || !kept[row.id]) return;
    var was = kept[row.id];
    delete kept[row.id];
    var menu = row.querySelector("details[data-menu]");
    if (was.menuOpen && menu) menu.open = true;
    if (was.focus === null) return;
    var target =
      (was.focus === "summary" && menu && menu.querySelector("summary")) ||
      (was.focus && row.querySelector('[data-action="' + was.focus + '"]')) ||
      (menu && menu.querySelector("summary"));
    if (target && target.focus) target.focus();
  });

  document.addEventListener("visibilitychange", function () {
    if (panelShown()) askLive();
    else stopAsking();
  });

  // ---- start ------------------------------------------------------------------------------

  if (!SDK) {
    setState("unavailable");
    return;
  }
  try {
    sdk = new SDK();
  } catch (error) {
    // Opened outside Pipedrive (no runtime id): the page still works, without host features.
    setState("standalone");
    return;
  }
  setState("initializing");
  ready = sdk.initialize({ size: sizeForSurface() }).then(function () {
    setState("initialized");
    applyTheme(sdk.userSettings.theme);
    sdk.listen(SDK.Event.USER_SETTINGS_CHANGE, function (message) {
      // message.data.theme, not sdk.userSettings (the SDK overwrites it with the envelope).
      if (message && message.data && message.data.theme) applyTheme(message.data.theme);
    });
    sdk.listen(SDK.Event.CLOSE_CUSTOM_MODAL, function () {
      body.dataset.modalClosedCount = String(parseInt(body.dataset.modalClosedCount || "0", 10) + 1);
      window.htmx && window.htmx.trigger(body, "app:modal-closed");
    });
    sdk.listen(SDK.Event.VISIBILITY, function (message) {
      var visible = !!(message && message.data && message.data.is_visible);
      body.dataset.visible = visible ? "true" : "false";
      // Hidden: stop asking. Shown: catch up at once (only what changed is swapped).
      if (visible) askLive();
      else stopAsking();
    });
    resize();
    scheduleRenewal(20 * 60 * 1000);
    return sdk;
  });
  ready.catch(function () {
    setState("failed");
  });
  window.appExtension = { sdk: sdk, ready: ready, resize: resize, renewSession: renewSession };
})();
