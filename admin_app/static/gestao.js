/* Behaviour the panel's markup used to carry in inline handlers (onclick="..."), which the
   Content-Security-Policy forbids: bound here, from the panel's own static file. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target.closest("a, button");
    if (!target) return;
    // Links that only carry a handler (href="javascript:void(0)"): never navigate.
    if (target.matches('a[href^="javascript:"]')) event.preventDefault();
    if (target.dataset.confirm !== undefined && !window.confirm(target.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
    if (target.dataset.modelAction && window.modelActions) {
      window.modelActions.execute(target.dataset.modelAction);
    }
    if (target.dataset.inlineAdd && window.faForm) {
      event.preventDefault();
      window.faForm.addInlineField(target, target.dataset.inlineAdd);
    }
  }, true);

  // A background job's page (templates/admin/job.html): follow its progress, and show its
  // result (reload) once it has finished.
  var job = document.getElementById("job");
  if (job && job.dataset.jobFinished === "no") {
    var poll = function () {
      fetch(job.dataset.jobStatus, {credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (state) {
          document.getElementById("job-label").textContent = state.label;
          var bar = document.getElementById("job-bar");
          bar.style.width = state.percent + "%";
          bar.textContent = state.percent + "%";
          bar.setAttribute("aria-valuenow", state.percent);
          document.getElementById("job-count").textContent =
            state.done.toLocaleString() + " / " + state.total.toLocaleString();
          if (state.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }
})();
