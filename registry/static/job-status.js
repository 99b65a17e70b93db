/*
 * Live status of estimation jobs (job list and job page), without a build step.
 *
 * Every element with data-job-url (the job's GET /api/jobs/<id>) and data-state is polled
 * every data-poll-seconds (an attribute of this script's tag) while its job is unfinished.
 * With several unfinished jobs (the job list) one request to data-jobs-url (GET /api/jobs,
 * the latest jobs) serves them all, so a long list stays far below the API's rate limit;
 * a job missing from that list is asked for by its own URL.
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
  var jobsUrl = script.getAttribute("data-jobs-url");
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

  function getJson(url) {
    var request = { credentials: "same-origin", headers: { Accept: "application/json" } };
    return fetch(url, request).then(function (response) {
      if (!response.ok) {
        throw new Error("job status " + response.status);
      }
      return response.json();
    });
  }

  function fetchState(element) {
    return getJson(element.getAttribute("data-job-url")).then(function (job) {
      return show(element, job.state);
    });
  }

  /* One request for the latest jobs; elements whose job it lacks are fetched one by one. */
  function fetchStates(elements) {
    if (elements.length < 2 || !jobsUrl) {
      return Promise.all(elements.map(fetchState));
    }
    return getJson(jobsUrl).then(function (jobs) {
      var states = {};
      jobs.forEach(function (job) {
        states[String(job.id)] = job.state;
      });
      return Promise.all(elements.map(function (element) {
        var state = states[element.getAttribute("data-job-id")];
        return state === undefined ? fetchState(element) : show(element, state);
      }));
    });
  }

  function poll() {
    var elements = watched();
    if (!elements.length) {
      return;
    }
    fetchStates(elements).then(function (done) {
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
