// The publishing desk's one script: it only improves the build progress page. Without it, the
// "Check progress" button reloads the status; with it, the status updates itself in an aria-live region.
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box || box.getAttribute("data-state") !== "running" || !window.fetch) { return; }
  var live = document.getElementById("job-live");
  var url = box.getAttribute("data-status-url");
  var lastWords = "";
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (status.state === "running") {
          var words = status.stage_words || "Starting";
          if (words !== lastWords) {
            lastWords = words;
            var stage = document.getElementById("job-stage");
            if (stage) { stage.textContent = words; }
          }
          window.setTimeout(poll, 1500);
        } else {
          var p = document.createElement("p");
          p.className = "govuk-body-l";
          p.textContent = (status.state === "done" ? "Finished. " : "It did not finish. ") + (status.message || "");
          var link = document.createElement("a");
          link.className = "govuk-link";
          link.href = window.location.href;
          link.textContent = "See the result";
          var again = document.createElement("p");
          again.className = "govuk-body";
          again.appendChild(link);
          live.replaceChildren(p, again);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1500);
})();
