/* supportplan: progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";

  function strings() {
    var el = document.getElementById("i18n-js");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }
  var T = strings();

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // The server says what time it is; the countdown runs on the server's clock, not the
  // visitor's (a laptop five minutes off must not show a wrong SLA).
  var serverNow = Date.parse(document.body.getAttribute("data-server-now") || "");
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
  function now() { return Date.now() + skew; }

  function remaining(ms) {
    var late = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    var body;
    if (d) body = fmt(T.dhm, { d: d, h: h, m: pad(m) });
    else if (h) body = fmt(T.hm, { h: h, m: pad(m) });
    else body = fmt(T.ms, { m: m, s: pad(s) });
    return fmt(late ? T.overdue : T.left, { t: body });
  }

  function tick() {
    var timers = document.querySelectorAll("time.countdown[data-due]");
    var t = now();
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) continue;
      var warn = Date.parse(el.getAttribute("data-warn") || "");
      el.textContent = remaining(due - t);
      var state = t >= due ? "breached" : (!isNaN(warn) && t >= warn ? "warning" : null);
      var badge = el.closest("[data-sla]");
      if (badge && state && !badge.classList.contains("sla-" + state)) {
        badge.classList.remove("sla-running", "sla-warning");
        badge.classList.add("sla-" + state);
        var label = badge.querySelector("[data-sla-label]");
        if (label && T[state]) label.textContent = T[state];
      }
    }
  }

  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      sel.addEventListener("change", function () { sel.form.submit(); });
    });
  }

  // Case form: show the severity definition of the choice; prefill third-party software
  // from the description; show the scope answer before submitting.
  function caseForm() {
    var form = document.querySelector("form[data-case-form]");
    if (!form) return;
    var url = form.getAttribute("data-scope-url");
    var box = document.getElementById("scope-answer");
    var desc = form.querySelector("[name=description]");
    var name = form.querySelector("[name=software_name]");
    var version = form.querySelector("[name=software_version]");
    var platform = form.querySelector("[name=software_platform]");
    var provider = form.querySelector("[name=provider]");
    var timer = null, userTouched = {};
    [name, version, platform].forEach(function (f) {
      if (f) f.addEventListener("input", function () { userTouched[f.name] = f.value !== ""; schedule(); });
    });
    if (desc) desc.addEventListener("input", schedule);
    function schedule() { clearTimeout(timer); timer = setTimeout(check, 450); }
    function check() {
      if (!url || !box) return;
      var params = new URLSearchParams();
      params.set("provider", provider ? provider.value : "");
      params.set("description", desc ? desc.value : "");
      params.set("software_name", name ? name.value : "");
      params.set("software_version", version ? version.value : "");
      params.set("software_platform", platform ? platform.value : "");
      box.setAttribute("aria-busy", "true");
      fetch(url + "?" + params.toString(), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          box.removeAttribute("aria-busy");
          if (!data) return;
          if (data.detected) {
            if (name && !userTouched.software_name && !name.value) name.value = data.detected.name || "";
            if (version && !userTouched.software_version && !version.value && data.detected.version) version.value = data.detected.version;
            if (platform && !userTouched.software_platform && !platform.value && data.detected.platform) platform.value = data.detected.platform;
          }
          render(data);
        })
        .catch(function () { box.removeAttribute("aria-busy"); });
    }
    function render(data) {
      box.innerHTML = "";
      if (!data.scope) { box.hidden = true; return; }
      box.hidden = false;
      var s = data.scope;
      var div = document.createElement("div");
      div.className = "notice " + (s.in_scope ? "ok" : (s.where_to_go ? "bad" : "warn"));
      var b = document.createElement("strong");
      b.textContent = s.in_scope ? T.in_scope : (s.where_to_go ? T.out_of_scope : T.needs_detail);
      div.appendChild(b);
      div.appendChild(document.createTextNode(" " + s.reason));
      if (s.where_to_go) {
        var p = document.createElement("p");
        p.className = "small";
        p.textContent = T.where_to_go + " " + s.where_to_go;
        div.appendChild(p);
      }
      box.appendChild(div);
    }
    // Severity definitions beside the choice: highlight the chosen one.
    form.querySelectorAll("input[name=severity]").forEach(function (r) {
      r.addEventListener("change", function () {
        var el = document.getElementById("sevdef-" + r.value);
        document.querySelectorAll(".sevdef").forEach(function (d) { d.classList.remove("chosen"); });
        if (el) el.classList.add("chosen");
      });
    });
    if ((desc && desc.value) || (name && name.value)) check();
  }

  // Case forms (portal "open a case", console "log a call"): the first-response promise as
  // severity, channel and system change, from the server (the same code that opens the
  // case). "Use the ticket instead" switches the channel in one click.
  function promise() {
    var form = document.querySelector("form[data-quote-url]");
    var box = document.getElementById("promise");
    if (!form || !box) return;
    var url = form.getAttribute("data-quote-url");
    var seq = 0;
    function value(name) {
      var checked = form.querySelector("[name=" + name + "]:checked");
      if (checked) return checked.value;
      var el = form.querySelector("select[name=" + name + "], input[type=hidden][name=" + name + "]");
      return el ? el.value : "";
    }
    function refresh() {
      var params = new URLSearchParams();
      ["provider", "tenant", "severity", "channel", "system", "im_platform"].forEach(function (n) {
        params.set(n, value(n));
      });
      if (!params.get("severity") || !params.get("channel")) return;
      var mine = ++seq;
      box.setAttribute("aria-busy", "true");
      fetch(url + "?" + params.toString(), { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (mine !== seq) return;
          box.removeAttribute("aria-busy");
          if (html === null) return;
          box.innerHTML = html;
          box.hidden = !html.trim();
        })
        .catch(function () { box.removeAttribute("aria-busy"); });
    }
    form.addEventListener("change", function (event) {
      var name = event.target && event.target.name;
      if (["severity", "channel", "system", "im_platform"].indexOf(name) >= 0) refresh();
    });
    box.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-use-channel]") : null;
      if (!button) return;
      var select = form.querySelector("select[name=channel]");
      if (!select) return;
      select.value = button.getAttribute("data-use-channel");
      select.dispatchEvent(new Event("change", { bubbles: true }));
      select.focus();
    });
    refresh();
  }

  // Forms with a [data-once] button (payments, acknowledgements) are sent once; a second
  // click while the first request is on its way does nothing. The server is idempotent
  // anyway (a stale form in another tab shows the same result); this only spares the wait.
  function submitOnce() {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-once]")) return;
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
        form.querySelectorAll("[data-once]").forEach(function (b) {
          b.setAttribute("aria-disabled", "true");
        });
      });
    });
  }

  // Long texts state their limit while typing: "n of max characters" under every textarea
  // with a maxlength (a text refused by the server and shown again may be over it).
  function counters() {
    document.querySelectorAll("textarea[maxlength]").forEach(function (area) {
      var max = parseInt(area.getAttribute("maxlength"), 10);
      if (!max) return;
      var out = document.createElement("p");
      out.className = "hint counter";
      out.id = "count-" + (area.name || area.id);
      out.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", out);
      function update() {
        var n = area.value.length;
        var over = n > max;
        out.textContent = fmt(over ? T.too_many : T.chars, { n: n, max: max, over: n - max });
        out.classList.toggle("over", over);
      }
      area.addEventListener("input", update);
      update();
    });
  }

  // A file over the size limit is refused before it is uploaded: the message says the size
  // and the limit, the file is cleared and the form is not sent with it.
  function fileLimits() {
    document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var out = document.createElement("p");
      out.className = "errorlist file-limit";
      out.setAttribute("role", "alert");
      out.hidden = true;
      input.insertAdjacentElement("afterend", out);
      function mb(bytes) { return (Math.round(bytes / 104857.6) / 10).toString(); }
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (file && max && file.size > max) {
          out.textContent = fmt(T.file_too_large, { size: mb(file.size), limit: mb(max) });
          out.hidden = false;
          input.value = "";
          input.setAttribute("aria-invalid", "true");
        } else {
          out.hidden = true;
          input.removeAttribute("aria-invalid");
        }
      });
    });
  }

  // What a person types into a long text is kept in this tab (sessionStorage) until the form
  // is sent: leaving the page, or a post the server refuses before any page could show the
  // text again (a body over the upload limit), does not lose it. Sent text is held as
  // "pending" and comes back only when the person returns with Back; a normal page load
  // after sending (the redirect of a successful post) forgets it.
  function drafts() {
    var store;
    try { store = window.sessionStorage; store.setItem("draft-probe", "1"); store.removeItem("draft-probe"); }
    catch (e) { return; }
    var nav = (performance.getEntriesByType && performance.getEntriesByType("navigation")[0]) || {};
    var back = nav.type === "back_forward";
    document.querySelectorAll("form[method=post] textarea[maxlength]").forEach(function (area) {
      var form = area.form;
      var key = "draft:" + location.pathname + ":" + (form.getAttribute("action") || "") + ":" + area.name;
      var pending = store.getItem(key + ":pending");
      if (pending !== null) {
        store.removeItem(key + ":pending");
        if (back && !area.value) store.setItem(key, pending);
      }
      var saved = store.getItem(key);
      if (saved && !area.value) {
        area.value = saved;
        area.dispatchEvent(new Event("input", { bubbles: true }));
      }
      area.addEventListener("input", function () {
        if (area.value) store.setItem(key, area.value); else store.removeItem(key);
      });
      form.addEventListener("submit", function () {
        if (area.value) store.setItem(key + ":pending", area.value);
        store.removeItem(key);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drafts();
    counters();
    fileLimits();
    autosubmit();
    submitOnce();
    caseForm();
    promise();
    tick();
    if (document.querySelector("time.countdown[data-due]")) setInterval(tick, 1000);
  });
})();
