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
  // Accessible names: controls named only by a title (Flask-Admin's "select all" box) and
  // the links select2 draws (the chosen value of a picker, a choice's remove cross).
  var removeWord = document.documentElement.lang === "en" ? "Remove" : "Remover";
  var nameControls = function () {
    document.querySelectorAll("input[title]:not([aria-label])").forEach(function (input) {
      input.setAttribute("aria-label", input.title);
    });
    document.querySelectorAll("a.select2-choice:not([aria-label])").forEach(function (link) {
      var box = link.closest(".select2-container");
      var label = box && box.id.indexOf("s2id_") === 0 &&
        document.querySelector('label[for="' + box.id.slice(5) + '"]');
      var chosen = link.querySelector(".select2-chosen");
      link.setAttribute("aria-label", ((label ? label.textContent : "") + " " +
                                       (chosen ? chosen.textContent : "")).trim() || "—");
    });
    document.querySelectorAll("a.select2-search-choice-close:not([aria-label])")
      .forEach(function (link) {
        link.setAttribute("aria-label", removeWord + " " + link.parentElement.textContent.trim());
      });
  };
  nameControls();
  new MutationObserver(nameControls).observe(document.body, {childList: true, subtree: true});

  // A form that did not save: its error summary (templates/admin/gestao/_error_summary.html)
  // takes the focus, and each invalid control is described by its own message.
  document.querySelectorAll(".is-invalid").forEach(function (control, index) {
    var feedback = control.parentElement.querySelector(".invalid-feedback");
    if (!feedback) return;
    feedback.id = feedback.id || "error-" + (control.id || index);
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", feedback.id);
  });
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      var control = target.matches("input, select, textarea") ? target :
        target.querySelector("input:not([type=hidden]), select, textarea");
      target.scrollIntoView({block: "center"});
      (control || target).focus();
    });
  }

  // Keyboard shortcuts, away from text boxes: "/" search, "n" new record, "?" the list.
  var help = document.getElementById("shortcut-help");
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (typing) return;
    if (event.key === "/") {
      var search = document.querySelector('input[name="search"]');
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.key === "n") {
      var create = document.querySelector('.nav-tabs a[href*="/new/"]');
      if (create) { event.preventDefault(); window.location.href = create.href; }
    } else if (event.key === "?" && help) {
      event.preventDefault();
      help.hidden = !help.hidden;
      if (!help.hidden) help.focus();
    } else if (event.key === "Escape" && help && !help.hidden) {
      help.hidden = true;
    }
  });
})();
