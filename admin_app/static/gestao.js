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
})();
