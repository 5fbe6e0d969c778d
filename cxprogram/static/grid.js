// The data-entry grid asks before leaving with typed values not yet saved. A value is
// unsaved when its input differs from the stored value the page shows (data-saved), so a
// grid shown again after "Add a row" still counts what was typed before. No inline script:
// the Content-Security-Policy allows script from this application only.
(function () {
  "use strict";
  var form = document.querySelector("form.cx-grid-form");
  if (!form) {
    return;
  }
  var leavingBySubmit = false;

  function hasUnsaved() {
    var inputs = form.querySelectorAll("[data-saved]");
    for (var i = 0; i < inputs.length; i += 1) {
      if (inputs[i].value !== inputs[i].getAttribute("data-saved")) {
        return true;
      }
    }
    return false;
  }

  form.addEventListener("submit", function () {
    leavingBySubmit = true; // Save and "Add a row" keep every typed value
  });
  window.addEventListener("pageshow", function () {
    leavingBySubmit = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (leavingBySubmit || !hasUnsaved()) {
      return undefined;
    }
    event.preventDefault();
    event.returnValue = "";
    return "";
  });
})();
