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
 * A job's progress (progress_done of progress_total) is written into the element with
 * data-job-progress="<id>", from its data-progress-text ("{done} of {total} done", in the
 * page's language) with the numbers in the page's notation.
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

  function number(value) {
    return Number(value).toLocaleString(document.documentElement.lang || undefined);
  }

  /* Write the job's progress into its progress element, if the page has one. */
  function showProgress(job) {
    var element = document.querySelector('[data-job-progress="' + job.id + '"]');
    if (!element || !job.progress_total) {
      return;
    }
    var bar = element.querySelector("progress");
    var text = element.querySelector("span");
    bar.max = job.progress_total;
    bar.value = job.progress_done || 0;
    text.textContent = element.getAttribute("data-progress-text")
      .replace("{done}", number(job.progress_done || 0))
      .replace("{total}", number(job.progress_total));
    element.hidden = false;
  }

  /* Write the job's state (and progress) into the page; true if the job has now finished. */
  function show(element, job) {
    var state = job.state;
    showProgress(job);
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
      return show(element, job);
    });
  }

  /* One request for the latest jobs; elements whose job it lacks are fetched one by one. */
  function fetchStates(elements) {
    if (elements.length < 2 || !jobsUrl) {
      return Promise.all(elements.map(fetchState));
    }
    return getJson(jobsUrl).then(function (jobs) {
      var byId = {};
      jobs.forEach(function (job) {
        byId[String(job.id)] = job;
      });
      return Promise.all(elements.map(function (element) {
        var job = byId[element.getAttribute("data-job-id")];
        return job === undefined ? fetchState(element) : show(element, job);
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
