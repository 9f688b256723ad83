/* The "+" next to a form's pickers (admin_app/admin/quick_create.py): it opens the related
   screen's create form in a modal; saving selects the new record in the picker, errors stay
   in the modal. The main form is never submitted nor reloaded, so nothing typed in it is
   lost. */
(function () {
  "use strict";
  var modal = document.getElementById("quick-create");
  if (!modal || !window.jQuery) return;
  var $ = window.jQuery;
  var targets = JSON.parse(modal.dataset.targets);
  var body = modal.querySelector(".modal-body");
  var title = modal.querySelector(".modal-title");
  var picker = null;   // the input or select the open modal fills

  function fieldName(input) {
    var name = input.name || "";
    if (targets[name]) return name;
    var last = name.split("-").pop();
    return targets[last] && name.indexOf("__prefix__") < 0 ? last : null;
  }

  function addButtons() {
    document.querySelectorAll("form.admin-form input, form.admin-form select").forEach(
      function (input) {
        var name = fieldName(input);
        if (!name || input.dataset.quickCreate || input.closest("#quick-create")) return;
        input.dataset.quickCreate = "1";
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-outline-primary btn-sm quick-create-button mt-1";
        button.textContent = "+ " + targets[name].title;
        button.dataset.picker = input.id;
        button.dataset.target = name;
        input.parentElement.appendChild(button);
      });
  }

  function show(html) {
    body.innerHTML = html;
    if (window.faForm) window.faForm.applyGlobalStyles(body);
    var first = body.querySelector("#error-summary") ||
      body.querySelector(".is-invalid, input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  }

  function failed() {
    show('<div class="alert alert-danger" role="alert"></div>');
    body.querySelector(".alert").textContent = modal.dataset.failed;
  }

  function choose(record) {
    if (picker.tagName === "SELECT") {
      picker.appendChild(new Option(record.text, record.id, true, true));
    } else {
      // an AJAX picker (Flask-Admin's form.js): select2 reads its choice from data-json
      picker.setAttribute("data-json", JSON.stringify([record.id, record.text]));
      picker.value = record.id;
    }
    $(picker).trigger("change");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".quick-create-button");
    if (!button) return;
    picker = document.getElementById(button.dataset.picker);
    var target = targets[button.dataset.target];
    title.textContent = target.title;
    body.innerHTML = "";
    $(modal).modal("show");
    fetch(target.url, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
      .then(show, failed);
  });

  body.addEventListener("submit", function (event) {
    var form = event.target.closest(".quick-create-form");
    if (!form) return;
    event.preventDefault();
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json, text/html"}})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.ok && type.indexOf("application/json") === 0) {
          return response.json().then(function (record) {
            choose(record);
            $(modal).modal("hide");
          });
        }
        if (response.ok) return response.text().then(show);  // the form, with its errors
        return Promise.reject();
      })
      .catch(failed);
  });

  $(modal).on("hidden.bs.modal", function () {
    body.innerHTML = "";
    if (picker) picker.focus();
  });

  addButtons();
  new MutationObserver(addButtons).observe(document.body, {childList: true, subtree: true});
})();
