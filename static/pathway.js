/* Pathway: small enhancements on top of pages that work without JavaScript. No inline code. */
(function () {
  "use strict";
  var timers = [];
  var bannersBefore = null;

  // After a step swaps in: start at the top of the page, as a new page would, and move focus to
  // the error summary (if any) or the heading, so screen readers announce the new step.
  function focusStart(root, scrollTop) {
    var target = root.querySelector("[data-error-summary]") || root.querySelector("h1");
    if (scrollTop) window.scrollTo(0, 0);
    if (target) {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  // Urgent banners that appeared with this step are read out after the heading.
  function announceNewBanners() {
    var announcer = document.getElementById("announcer");
    if (!announcer || bannersBefore === null) return;
    var fresh = [];
    document.querySelectorAll("#page [data-banner]").forEach(function (banner) {
      if (bannersBefore.indexOf(banner.id) === -1) fresh.push(banner.textContent.trim());
    });
    announcer.textContent = fresh.join(" ");
    bannersBefore = null;
  }

  // A form being sent (by htmx, or by the browser when htmx is absent): its button waits and says
  // "Loading..." at once, so a slow link never looks dead. Restored if the request fails or the
  // page comes back from the back-forward cache; never longer than 15 seconds.
  function busy(form, on) {
    var button = form.querySelector("button[type=submit], button:not([type])");
    var note = form.querySelector("[data-loading]");
    if (on) {
      form.setAttribute("aria-busy", "true");
      if (button) button.disabled = true;
      if (!note && button) {
        note = document.createElement("span");
        note.className = "loading";
        note.setAttribute("data-loading", "");
        note.setAttribute("role", "status");
        note.textContent = "Loading...";
        button.parentNode.insertBefore(note, button.nextSibling);
      }
      if (note) note.hidden = false;
      form._busyTimer = setTimeout(function () { busy(form, false); }, 15000);
    } else {
      clearTimeout(form._busyTimer);
      form.removeAttribute("aria-busy");
      if (button) button.disabled = false;
      if (note) note.hidden = true;
    }
  }

  function loadingOnSubmit(event) {
    var form = event.target;
    if (!form || form.tagName !== "FORM" || form.hasAttribute("data-exit") || form.hasAttribute("data-in-place")) return;
    if (event.defaultPrevented && !form.closest("[hx-boost]")) return;
    // After this event: htmx (and the browser) read the form, and the button that sent it, first.
    setTimeout(function () { busy(form, true); }, 0);
  }

  function exclusiveCheckboxes(root) {
    root.querySelectorAll("[data-checkboxes]").forEach(function (group) {
      group.addEventListener("change", function (event) {
        var box = event.target;
        if (!box.checked) return;
        group.querySelectorAll("input[type=checkbox]").forEach(function (other) {
          if (other === box) return;
          if (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive")) other.checked = false;
        });
      });
    });
  }

  function copyAndPrint(root) {
    // Copy the plain-text summary (fetched from this site: it is not repeated in the page).
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      if (!navigator.clipboard || !window.isSecureContext) return;  // the links below still work
      button.hidden = false;
      button.addEventListener("click", function () {
        var status = root.querySelector("[data-copy-status]");
        function done(ok) {
          if (status) status.textContent = ok ? "The summary was copied. Paste it into your case notes."
            : "The summary could not be copied. Use \u201cShow the summary as plain text\u201d and copy it from there.";
        }
        var text = fetch(button.getAttribute("data-copy"), { credentials: "same-origin" }).then(function (r) {
          if (!r.ok) throw new Error("status " + r.status);
          return r.text();
        });
        function writeText() {
          return text.then(function (t) { return navigator.clipboard.writeText(t); });
        }
        var copied;
        if (window.ClipboardItem && navigator.clipboard.write) {
          // Keeps the click's permission to write while the text is fetched (needed by Safari).
          var blob = text.then(function (t) { return new Blob([t], { type: "text/plain" }); });
          copied = navigator.clipboard.write([new ClipboardItem({ "text/plain": blob })]).catch(writeText);
        } else {
          copied = writeText();
        }
        copied.then(function () { done(true); }, function () { done(false); });
      });
    });
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // Exit this page: hide the page at once, send the form's POST (which clears the walk's cookie) so
  // that it completes even once the page is gone, and replace this history entry with the exit
  // address, so Back does not return here. It leaves when the POST is answered, or after half a
  // second at most. Without fetch, the form is posted as it is without JavaScript.
  function leaveNow(form) {
    if (!window.fetch) { form.submit(); return; }
    document.body.hidden = true;
    var left = false;
    function leave() {
      if (left) return;
      left = true;
      window.location.replace(form.getAttribute("data-exit"));
    }
    setTimeout(leave, 500);
    fetch(form.getAttribute("action"), { method: "POST", credentials: "same-origin", keepalive: true,
      redirect: "manual" }).then(leave, leave);
  }

  function exitThisPage(root) {
    root.querySelectorAll("form[data-exit]").forEach(function (form) {
      if (form._exitReady) return;
      form._exitReady = true;
      form.addEventListener("submit", function (event) {
        if (!window.fetch) return;
        event.preventDefault();
        leaveNow(form);
      });
    });
  }

  // Shift pressed three times within 5 seconds leaves, as GOV.UK's "Exit this page" does. Any other
  // key in between starts the count again; the count is announced so a screen reader user knows.
  var shiftPresses = 0;
  var shiftTimer = null;
  function resetShift() { shiftPresses = 0; clearTimeout(shiftTimer); shiftTimer = null; }
  function onKeyUp(event) {
    if (event.key !== "Shift") { resetShift(); return; }
    var form = document.querySelector("form[data-exit]");
    if (!form) return;
    shiftPresses += 1;
    if (!shiftTimer) shiftTimer = setTimeout(resetShift, 5000);
    var announcer = document.getElementById("announcer");
    if (shiftPresses >= 3) {
      resetShift();
      if (announcer) announcer.textContent = "Exiting this page";
      leaveNow(form);
    } else if (announcer) {
      announcer.textContent = "Shift, press " + (3 - shiftPresses) + " more " +
        (shiftPresses === 2 ? "time" : "times") + " to exit.";
    }
  }
  function onKeyDown(event) { if (event.key !== "Shift") resetShift(); }

  // Showing a page does not renew the answers (only a POST does), so the first countdown runs for
  // the time the page says they have left; once renewed by "Carry on", for the whole session.
  function timeoutWarning(renewed) {
    timers.forEach(clearTimeout);
    timers = [];
    var page = document.getElementById("page");
    var dialog = document.getElementById("timeout-warning");
    if (!page || !dialog || !page.dataset.walk || typeof dialog.showModal !== "function") return;
    var walk = page.dataset.walk;
    var left = page.dataset.secondsLeft;
    var session = Number(renewed || left === undefined ? page.dataset.sessionSeconds : left) * 1000;
    var warning = Number(page.dataset.warningSeconds) * 1000;
    var carryOnButton = dialog.querySelector("[data-timeout-continue]");
    var lastFocus = null;

    function expire() { window.location.replace("/w/" + walk); }

    function carryOn() {
      fetch("/w/" + walk + "/keepalive", { method: "POST", credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { expire(); return; }
        if (dialog.open) dialog.close();
        if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
        timeoutWarning(true);
      }, function () { /* offline: leave the warning open; the walk expires as announced */ });
    }

    timers.push(setTimeout(function () {
      lastFocus = document.activeElement;
      if (!dialog.open) dialog.showModal();
      carryOnButton.focus();
    }, Math.max(session - warning, 0)));
    timers.push(setTimeout(expire, session + 1000));
    carryOnButton.onclick = carryOn;
    // Escape means "carry on", as in the GOV.UK timeout warning: never a silent expiry.
    dialog.oncancel = function (event) { event.preventDefault(); carryOn(); };
  }

  function enhance(root) {
    exclusiveCheckboxes(root);
    copyAndPrint(root);
    exitThisPage(root);
    timeoutWarning(false);
  }

  // Loaded async: it runs as soon as the page is parsed, never waiting for htmx (a deferred script
  // that, from a slow or hanging CDN, holds back DOMContentLoaded) or for any htmx request.
  var started = false;
  function init() {
    if (started || document.readyState === "loading") return;
    started = true;
    enhance(document);
    if (document.querySelector("[data-error-summary]")) focusStart(document, false);
  }
  document.addEventListener("submit", loadingOnSubmit);
  document.addEventListener("keyup", onKeyUp);
  document.addEventListener("keydown", onKeyDown);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) document.querySelectorAll("form[aria-busy]").forEach(function (f) { busy(f, false); });
    document.body.hidden = false;
  });
  document.addEventListener("readystatechange", init);
  document.addEventListener("DOMContentLoaded", init);
  init();

  var inPlace = false;
  var focusedId = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    inPlace = !!(elt && elt.closest && elt.closest("[data-in-place]"));
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && elt.closest && elt.closest("form");
    if (form && event.detail.failed) busy(form, false);
  });
  document.addEventListener("htmx:beforeSwap", function () {
    focusedId = document.activeElement && document.activeElement.id || null;
    bannersBefore = Array.prototype.map.call(document.querySelectorAll("#page [data-banner]"), function (b) { return b.id; });
    var announcer = document.getElementById("announcer");
    if (announcer) announcer.textContent = "";
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var page = document.getElementById("page");
    if (!page || event.target !== page) return;
    enhance(page);
    // A new step (a boosted link or form) starts at the top with focus on its heading; an update
    // in place (the quick check's answers as you choose, a form marked data-in-place) leaves focus
    // on the control the user was on, and reads out the new answer.
    if (inPlace) {
      var again = focusedId && document.getElementById(focusedId);
      var lost = !document.activeElement || document.activeElement === document.body;
      if (again && lost) again.focus({ preventScroll: true });  // never pull focus back from where the user went
      var answerBox = page.querySelector("[data-live-answer]");
      var announcer = document.getElementById("announcer");
      if (answerBox && announcer) announcer.textContent = answerBox.textContent.replace(/\s+/g, " ").trim();
    } else {
      focusStart(page, true);
      announceNewBanners();
    }
    inPlace = false;
  });
})();
