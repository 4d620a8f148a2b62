/*
 * The Pipedrive look-alike host: answers the official App Extensions SDK exactly as Pipedrive's
 * host does (reference/pipedrive.md §1.5-1.7).
 *
 * Commands arrive as postMessage({payload: {type: "command", command, args}, id}, "*", [port]);
 * the host answers once on the transferred port with {data} or {error}. Listeners arrive as
 * {payload: {type: "listener", event}, id} with a port the host keeps and pushes events to.
 * An iframe that has not initialized within 10 s is removed and an error shown.
 */
(function () {
  "use strict";

  var body = document.body;
  // Pipedrive's rule is 10 s; tests shorten it with ?init_timeout_ms= on the host page.
  var INIT_TIMEOUT_MS = parseInt(body.dataset.initTimeoutMs || "10000", 10);
  var frames = {}; // runtime id -> {iframe, kind, initialized, listeners: {event: [port]}, onClose}
  var calls = []; // every command seen, for people and tests: {id, kind, command, args}
  window.__sandboxHost = { calls: calls, frames: frames, emit: emitAll };

  function runtimeId(iframe) {
    return new URL(iframe.src).searchParams.get("id");
  }

  function showError(message) {
    var box = document.getElementById("host-errors");
    var item = document.createElement("p");
    item.className = "host__error";
    item.textContent = message;
    box.appendChild(item);
  }

  function register(iframe, kind, extra) {
    var id = runtimeId(iframe);
    var record = Object.assign(
      { id: id, iframe: iframe, kind: kind, initialized: false, listeners: {} },
      extra || {}
    );
    frames[id] = record;
    record.timer = setTimeout(function () {
      if (record.initialized) return;
      // Pipedrive's 10-second rule: the iframe is not displayed to the user.
      iframe.remove();
      delete frames[id];
      showError("The app's " + kind + " did not initialize within 10 seconds and was removed.");
      if (record.onClose) record.onClose("closed");
    }, INIT_TIMEOUT_MS);
    return record;
  }

  function emit(record, event, data) {
    (record.listeners[event] || []).forEach(function (port) {
      port.postMessage({ data: data });
    });
  }

  function emitAll(event, data) {
    Object.keys(frames).forEach(function (id) {
      emit(frames[id], event, data);
    });
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.error || "request failed");
        return json;
      });
    });
  }

  // ---- commands ---------------------------------------------------------------------------

  function resize(record, args) {
    args = args || {};
    if (record.kind === "panel") {
      if (typeof args.height === "number") {
        record.iframe.style.height = Math.max(100, Math.min(750, args.height)) + "px";
      }
    } else if (record.kind === "modal") {
      var box = record.iframe.parentElement;
      if (typeof args.width === "number") {
        box.style.width = Math.max(320, Math.min(window.innerWidth - 32, args.width)) + "px";
      }
      if (typeof args.height === "number") {
        record.iframe.style.height = Math.max(120, Math.min(window.innerHeight - 96, args.height)) + "px";
      }
    } else if (typeof args.height === "number") {
      record.iframe.style.height = Math.max(120, args.height) + "px";
    }
  }

  function snackbar(args) {
    var holder = document.getElementById("snackbars");
    var item = document.createElement("div");
    item.className = "host__snackbar";
    item.setAttribute("role", "status");
    item.textContent = args.message || "";
    if (args.link && args.link.url) {
      var link = document.createElement("a");
      link.href = args.link.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = args.link.label || args.link.url;
      item.appendChild(document.createTextNode(" "));
      item.appendChild(link);
    }
    holder.appendChild(item);
    setTimeout(function () {
      item.remove();
    }, 6000);
  }

  function confirmDialog(args) {
    var dialog = document.getElementById("confirm-dialog");
    document.getElementById("confirm-title").textContent = args.title || "";
    document.getElementById("confirm-description").textContent = args.description || "";
    var ok = document.getElementById("confirm-ok");
    ok.textContent = args.okText || "OK";
    ok.dataset.color = args.okColor || "negative";
    document.getElementById("confirm-cancel").textContent = args.cancelText || "Cancel";
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise(function (resolve) {
      dialog.addEventListener(
        "close",
        function () {
          resolve({ confirmed: dialog.returnValue === "ok" });
        },
        { once: true }
      );
    });
  }

  function openCustomModal(opener, args) {
    var params = new URLSearchParams({ action_id: args.action_id || "", user: body.dataset.user, theme: body.dataset.theme });
    if (args.data !== undefined) params.set("data", JSON.stringify(args.data));
    return fetchJson(body.dataset.modalUrl + "?" + params.toString()).then(function (reply) {
      return new Promise(function (resolve) {
        var layer = document.getElementById("modal-layer");
        var box = document.createElement("div");
        box.className = "host__modal";
        box.setAttribute("role", "dialog");
        box.setAttribute("aria-modal", "true");
        box.setAttribute("aria-label", reply.name);
        var iframe = document.createElement("iframe");
        iframe.className = "host__frame host__frame--modal";
        iframe.title = reply.name;
        iframe.dataset.kind = "modal";
        iframe.src = reply.url;
        var close = document.createElement("button");
        close.type = "button";
        close.className = "host__modal-close";
        close.setAttribute("aria-label", "Close");
        close.textContent = "×";
        box.appendChild(close);
        box.appendChild(iframe);
        layer.appendChild(box);
        layer.hidden = false;
        var record = register(iframe, "modal", {
          onClose: function (status) {
            box.remove();
            delete frames[record.id];
            if (!layer.children.length) layer.hidden = true;
            // Every panel listening hears the modal close, then open_modal resolves.
            Object.keys(frames).forEach(function (id) {
              if (frames[id].kind !== "modal") emit(frames[id], "close_custom_modal", undefined);
            });
            resolve({ status: status });
            if (opener && opener.iframe) opener.iframe.focus();
          },
        });
        close.addEventListener("click", function () {
          record.onClose("closed");
        });
        box.addEventListener("keydown", function (event) {
          if (event.key === "Escape") record.onClose("closed");
        });
      });
    });
  }

  function redirectTo(args) {
    var view = args.view;
    var query = new URLSearchParams({ user: body.dataset.user, theme: body.dataset.theme });
    if (view === "settings") {
      Object.keys(args.context || {}).forEach(function (key) {
        query.set(key, String(args.context[key]));
      });
      window.location.assign(body.dataset.settingsUrl + "?" + query.toString());
    } else if (view === "deals" && args.id) {
      window.location.assign(body.dataset.dealUrlTemplate.replace("{id}", String(args.id)) + "?" + query.toString());
    } else {
      throw new Error("The sandbox host cannot show the " + view + " view");
    }
  }

  function handleCommand(record, command, args) {
    if (command !== "initialize" && !record.initialized) {
      return Promise.reject(new Error("SDK is not initialized"));
    }
    switch (command) {
      case "initialize":
        record.initialized = true;
        clearTimeout(record.timer);
        record.iframe.dataset.initialized = "true";
        if (args && args.size) resize(record, args.size);
        return Promise.resolve(undefined);
      case "resize":
        resize(record, args);
        return Promise.resolve(undefined);
      case "show_snackbar":
        snackbar(args || {});
        return Promise.resolve(undefined);
      case "show_confirmation":
        return confirmDialog(args || {});
      case "get_signed_token":
        return fetchJson(body.dataset.tokenUrl + "?user=" + encodeURIComponent(body.dataset.user)).then(function (reply) {
          return { token: reply.token };
        });
      case "open_modal":
        if (!args || args.type !== "custom_modal") {
          return Promise.reject(new Error("The sandbox host opens custom modals only"));
        }
        return openCustomModal(record, args);
      case "close_modal":
        // A modal closes itself; from elsewhere, the top-most custom modal closes.
        var modal = record.kind === "modal" ? record : Object.keys(frames)
          .map(function (id) { return frames[id]; })
          .filter(function (r) { return r.kind === "modal"; })
          .pop();
        if (modal) modal.onClose("closed");
        return Promise.resolve(undefined);
      case "redirect_to":
        redirectTo(args || {});
        return Promise.resolve(undefined);
      case "get_metadata":
        return Promise.resolve({ windowHeight: window.innerHeight, windowWidth: window.innerWidth });
      default:
        return Promise.reject(new Error("Command " + command + " is not supported here"));
    }
  }

  window.addEventListener("message", function (event) {
    var message = event.data || {};
    var payload = message.payload;
    if (!payload || !message.id) return;
    var record = frames[message.id];
    // Only a registered iframe may speak, and only with its own runtime id.
    if (!record || record.iframe.contentWindow !== event.source) return;
    var port = event.ports && event.ports[0];
    if (payload.type === "track") return;
    if (payload.type === "listener") {
      if (port) (record.listeners[payload.event] = record.listeners[payload.event] || []).push(port);
      return;
    }
    if (payload.type !== "command" || !port) return;
    calls.push({ id: message.id, kind: record.kind, command: payload.command, args: payload.args });
    handleCommand(record, payload.command, payload.args).then(
      function (data) {
        port.postMessage({ data: data });
      },
      function (error) {
        port.postMessage({ error: error.message || String(error) });
      }
    );
  });

  // ---- host chrome ------------------------------------------------------------------------

  document.querySelectorAll("iframe[data-kind]").forEach(function (iframe) {
    register(iframe, iframe.dataset.kind);
  });

  var toggle = document.querySelector("[data-panel-toggle]");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var expanded = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", expanded ? "false" : "true");
      toggle.textContent = expanded ? "Expand" : "Collapse";
      document.getElementById("app-panel-frame").hidden = expanded;
      Object.keys(frames).forEach(function (id) {
        if (frames[id].kind === "panel") emit(frames[id], "visibility", { is_visible: !expanded });
      });
    });
  }

  var themeToggle = document.querySelector("[data-theme-toggle]");
  if (themeToggle) {
    themeToggle.addEventListener("click", function () {
      var theme = body.dataset.theme === "dark" ? "light" : "dark";
      body.dataset.theme = theme;
      document.documentElement.setAttribute("data-theme", theme);
      themeToggle.textContent = theme === "dark" ? "Light theme" : "Dark theme";
      themeToggle.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
      var hidden = document.querySelector("input[name=theme]");
      if (hidden) hidden.value = theme;
      document.querySelectorAll(".host__nav a, .host__bar a").forEach(function (a) {
        var url = new URL(a.href);
        url.searchParams.set("theme", theme);
        a.href = url.toString();
      });
      emitAll("user_settings_change", { theme: theme });
    });
  }

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
})();
