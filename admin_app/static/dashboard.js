/* Dashboard migration summary: one badge per environment, linking to the migrations page. */
(function () {
  var box = document.getElementById("migration-summary");
  if (!box) { return; }
  var target = box.querySelector(".env-badges");
  var badges = JSON.parse(box.getAttribute("data-badges"));
  fetch(box.getAttribute("data-status-url"), {credentials: "same-origin"})
    .then(function (response) { return response.json(); })
    .then(function (report) {
      target.textContent = "";
      report.environments.forEach(function (env) {
        var link = document.createElement("a");
        link.href = box.getAttribute("data-page-url") + "#env-" + env.name;
        link.className = "badge badge-pill mr-2 mb-1 p-2 badge-" + (badges[env.state] || "secondary");
        link.id = "env-badge-" + env.name;
        link.textContent = env.name + ": " + env.state_label;
        target.appendChild(link);
      });
    })
    .catch(function () {
      target.textContent = box.getAttribute("data-error") || "—";
    });
})();
