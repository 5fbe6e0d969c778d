// The reports page follows the reports being made: every 2 s it asks each unfinished row's
// status (same origin, JSON) and updates the row in place, announcing the change politely.
(function () {
  "use strict";
  var announcer = document.getElementById("report-announcer");

  function update(row, data) {
    var status = row.querySelector('[data-field="status"]');
    var changed = status.textContent !== data.status;
    status.textContent = data.status;
    row.querySelector('[data-field="progress"]').textContent = data.progress || "";
    row.querySelector('[data-field="pages"]').textContent = data.pages || "";
    row.querySelector('[data-field="size"]').textContent =
      data.size ? data.size.toLocaleString("en-US") + " bytes" : "";
    row.querySelector('[data-field="sha256"]').textContent = data.sha256 || "";
    var download = row.querySelector('[data-field="download"]');
    if (data.download && !download.querySelector("a")) {
      var link = document.createElement("a");
      link.className = "usa-link";
      link.href = data.download;
      link.textContent = "Download the PDF (report #" + data.id + ")";
      download.appendChild(link);
    }
    if (changed && announcer) {
      announcer.textContent = "Report #" + data.id + " is " + data.status + ".";
    }
    if (data.is_finished) {
      row.setAttribute("data-finished", "yes");
    }
  }

  function poll() {
    var rows = document.querySelectorAll('tr[data-report-status][data-finished="no"]');
    if (!rows.length) {
      return;
    }
    rows.forEach(function (row) {
      fetch(row.getAttribute("data-report-status"), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) { update(row, data); } })
        .catch(function () { /* the next poll tries again */ });
    });
    window.setTimeout(poll, 2000);
  }

  window.setTimeout(poll, 2000);
})();
