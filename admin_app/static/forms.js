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

/* The order form's live figures: each item's subtotal and the order's total, rewritten as the
   items are typed, added and removed (templates/admin/gestao/_live_total.html says which
   fields to read). A display only: nothing here is posted; the server computes the total it
   saves from the items it saves. Money is counted in integers (quantity in thousandths, price
   in centavos) and rounded half up to the centavo, as the server does. */
(function () {
  "use strict";

  var box = document.getElementById("live-total");
  if (!box) return;
  var config = box.dataset;
  var list = document.getElementById(config.items);
  if (!list) return;
  var rows = list.querySelector(".inline-field-list");
  var lang = document.documentElement.lang || "pt-BR";
  var money = new Intl.NumberFormat(lang, {style: "currency", currency: config.currency});
  var marks = {};
  new Intl.NumberFormat(lang).formatToParts(12345.6).forEach(function (part) {
    if (part.type === "group" || part.type === "decimal") marks[part.type] = part.value;
  });
  var symbol = money.formatToParts(0).filter(function (part) {
    return part.type === "currency";
  }).map(function (part) { return part.value; }).join("");
  var escape = function (text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); };
  var group = escape(marks.group || ","), decimal = escape(marks.decimal || ".");
  // What the server reads (admin/fields.py): the locale's number with or without grouping,
  // or a plain 1234.56; the currency symbol and spaces are ignored.
  var localNumber = new RegExp("^-?(\\d+|\\d{1,3}(" + group + "\\d{3})+)(" + decimal + "\\d+)?$");
  var plainNumber = /^-?\d+(\.\d+)?$/;

  /* The typed number in units of 10^-places (an integer), 0 for an empty box, null when
     the server would refuse it too. */
  function read(input, places) {
    var text = (input ? input.value : "").split(symbol).join("").replace(/\s/g, "");
    if (!text) return 0n;
    var number;
    if (localNumber.test(text)) {
      number = Number(text.split(marks.group).join("").replace(marks.decimal, "."));
    } else if (plainNumber.test(text)) {
      number = Number(text);
    } else {
      return null;
    }
    return BigInt(Math.round(number * Math.pow(10, places)));
  }

  function centavos(thousandthsTimesCentavos) {  // half up, to the centavo
    var half = thousandthsTimesCentavos < 0n ? -500n : 500n;
    return (thousandthsTimesCentavos + half) / 1000n;
  }

  function written(cents) {
    return cents === null ? "—" : money.format(Number(cents) / 100);
  }

  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function subtotalOf(row) {
    var output = row.querySelector(":scope > .live-subtotal output");
    if (!output) {
      var line = document.createElement("p");
      line.className = "live-subtotal mb-0 text-right";
      line.textContent = config.subtotalLabel + ": ";
      output = document.createElement("output");
      line.appendChild(output);
      row.appendChild(line);
    }
    return output;
  }

  function update() {
    var total = 0n;
    rows.querySelectorAll(":scope > .inline-field").forEach(function (row) {
      var quantity = read(field(row, config.quantity), 3);
      var price = read(field(row, config.price), 2);
      var product = quantity === null || price === null ? null : quantity * price;
      var output = subtotalOf(row);
      output.textContent = written(product === null ? null : centavos(product));
      var deleted = row.querySelector('input[type=checkbox][name^="del-"]');
      if (deleted && deleted.checked) return;
      total = total === null || product === null ? null : total + product;
    });
    var discount = config.discount ? read(document.getElementById(config.discount), 2) : 0n;
    var value = total === null || discount === null ? null : centavos(total) - discount;
    document.getElementById("live-total-value").textContent = written(value);
  }

  var addButton = document.getElementById(config.items + "-button");
  (addButton || list).after(box);
  box.hidden = false;
  document.addEventListener("input", update);
  document.addEventListener("change", update);
  new MutationObserver(update).observe(rows, {childList: true});
  update();
})();
