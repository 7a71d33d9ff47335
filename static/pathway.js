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
    document.querySelectorAll("#page .banner").forEach(function (banner) {
      if (bannersBefore.indexOf(banner.id) === -1) fresh.push(banner.textContent.trim());
    });
    announcer.textContent = fresh.join(" ");
    bannersBefore = null;
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
  function exitThisPage(root) {
    root.querySelectorAll("form[data-exit]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.fetch) return;
        event.preventDefault();
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
      });
    });
  }

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

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    if (document.querySelector("[data-error-summary]")) focusStart(document, false);
  });
  document.addEventListener("htmx:beforeSwap", function () {
    bannersBefore = Array.prototype.map.call(document.querySelectorAll("#page .banner"), function (b) { return b.id; });
    var announcer = document.getElementById("announcer");
    if (announcer) announcer.textContent = "";
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var page = document.getElementById("page");
    if (!page || event.target !== page) return;
    enhance(page);
    // A new step (a boosted link or form) starts at the top with focus on its heading; an update
    // in place (such as the quick check's answers as you choose) leaves focus where it is.
    var newStep = !event.detail || event.detail.boosted !== false;
    if (newStep || page.querySelector("[data-error-summary]")) focusStart(page, newStep);
    announceNewBanners();
  });
})();
