/* Pathway: small enhancements on top of pages that work without JavaScript. No inline code. */
(function () {
  "use strict";
  var timers = [];

  function focusStart(root) {
    var target = root.querySelector("[data-error-summary]") || root.querySelector("h1");
    if (target) {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: false });
    }
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
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var area = document.getElementById(button.getAttribute("data-copy"));
        var status = root.querySelector("[data-copy-status]");
        function done(ok) { if (status) status.textContent = ok ? "The summary was copied." : "Select the text and copy it."; }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(area.value).then(function () { done(true); }, function () { done(false); });
        } else {
          area.select();
          try { done(document.execCommand("copy")); } catch (e) { done(false); }
        }
      });
    });
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function exitThisPage(root) {
    root.querySelectorAll("[data-exit]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        document.body.hidden = true;
        window.location.replace(link.getAttribute("href"));
      });
    });
  }

  function timeoutWarning(root) {
    timers.forEach(clearTimeout);
    timers = [];
    var page = document.getElementById("page");
    var dialog = document.getElementById("timeout-warning");
    if (!page || !dialog || !page.dataset.walk || typeof dialog.showModal !== "function") return;
    var walk = page.dataset.walk;
    var session = Number(page.dataset.sessionSeconds) * 1000;
    var warning = Number(page.dataset.warningSeconds) * 1000;
    var lastFocus = null;
    timers.push(setTimeout(function () {
      lastFocus = document.activeElement;
      dialog.showModal();
      dialog.querySelector("[data-timeout-continue]").focus();
    }, Math.max(session - warning, 0)));
    timers.push(setTimeout(function () {
      window.location.replace("/w/" + walk);
    }, session + 1000));
    dialog.querySelector("[data-timeout-continue]").onclick = function () {
      fetch("/w/" + walk + "/keepalive", { method: "POST", credentials: "same-origin" }).then(function (r) {
        dialog.close();
        if (lastFocus) lastFocus.focus();
        if (r.ok) timeoutWarning(document);
        else window.location.replace("/w/" + walk);
      });
    };
    dialog.querySelector("[data-timeout-clear]").onclick = function () {
      window.location.replace("/w/" + walk + "/exit");
    };
  }

  function enhance(root, moveFocus) {
    exclusiveCheckboxes(root);
    copyAndPrint(root);
    exitThisPage(root);
    timeoutWarning(root);
    if (moveFocus) focusStart(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document, !!document.querySelector("[data-error-summary]"));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var page = document.getElementById("page");
    if (page) enhance(page, true);
  });
})();
