/*
 * Live status of estimation jobs (job list and job page), without a build step.
 *
 * Every element with data-job-url (the job's GET /api/jobs/<id>) and data-state is polled
 * every data-poll-seconds (an attribute of this script's tag) while its job is unfinished;
 * a new state is written in place with its label from data-state-labels (JSON, in the
 * page's language). Once a job has finished the page reloads, so it shows the result.
 * After repeated failures (signed out, server down) polling stops; the page stays usable.
 * Pages keep a <noscript> meta refresh for browsers without scripts. No inline script is
 * needed, so the Content-Security-Policy (script-src 'self') holds.
 */
(function () {
  "use strict";

  var FINISHED = ["succeeded", "failed", "cancelled"];
  var MAX_FAILURES = 5;
  var script = document.currentScript;
  var labels = JSON.parse(script.getAttribute("data-state-labels") || "{}");
  var interval = 1000 * Number(script.getAttribute("data-poll-seconds") || 3);
  var failures = 0;

  function finished(state) {
    return FINISHED.indexOf(state) >= 0;
  }

  function watched() {
    var elements = document.querySelectorAll("[data-job-url][data-state]");
    return Array.prototype.filter.call(elements, function (element) {
      return !finished(element.getAttribute("data-state"));
    });
  }

  /* Write the job's state into the element; true if the job has now finished. */
  function show(element, state) {
    if (state === element.getAttribute("data-state")) {
      return false;
    }
    element.setAttribute("data-state", state);
    element.className = "state state-" + state;
    element.textContent = labels[state] || state;
    return finished(state);
  }

  function fetchState(element) {
    var request = { credentials: "same-origin", headers: { Accept: "application/json" } };
    return fetch(element.getAttribute("data-job-url"), request).then(function (response) {
      if (!response.ok) {
        throw new Error("job status " + response.status);
      }
      return response.json();
    }).then(function (job) {
      return show(element, job.state);
    });
  }

  function poll() {
    var elements = watched();
    if (!elements.length) {
      return;
    }
    Promise.all(elements.map(fetchState)).then(function (done) {
      failures = 0;
      if (done.indexOf(true) >= 0) {
        window.location.reload();
      } else {
        window.setTimeout(poll, interval);
      }
    }, function () {
      failures += 1;
      if (failures < MAX_FAILURES) {
        window.setTimeout(poll, interval * (failures + 1));
      }
    });
  }

  window.setTimeout(poll, interval);
})();
