/* What the panel's forms do in the browser, beyond Flask-Admin's own form.js. */

/* Typing a date: Flask-Admin's daterangepicker (1.3) reads the box on every key and writes
   back the date it understood, so typing "1" of "10/03/2026" made "01/12/2026" and the rest
   landed after it. The picker now follows the box only once it holds a whole date in the
   box's format (moment's strict parse); what was typed is left as typed, for the server to
   read or refuse. Listening in the capture phase runs before the picker's own handler. */
(function () {
  "use strict";

  document.addEventListener("keyup", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.dataset.dateFormat) return;
    if (!window.moment || !window.moment(input.value, input.dataset.dateFormat, true).isValid()) {
      event.stopPropagation();
    }
  }, true);
})();
