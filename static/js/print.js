// The practice page's Print button ([data-print]): hidden in the HTML, shown only where JavaScript
// can open the browser's print dialog (print.css then lays the practice out for paper).
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print]");
  Array.prototype.forEach.call(buttons, function (button) {
    if (typeof window.print !== "function") { return; }
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
