// Progressive enhancement of the "Link to this page" box ([data-share]): a button that copies the
// page's address and says so in the box's polite live region. Without JavaScript the address is a
// plain link; where the clipboard cannot be used the address is selected for the user to copy.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-share]");
  Array.prototype.forEach.call(boxes, function (box) {
    var link = box.querySelector("[data-share-url]");
    var status = box.querySelector("[data-share-status]");
    if (!link || !status) { return; }

    function announce(message) {
      status.textContent = "";
      // A fresh change, so that the same message is read again after a second click.
      window.setTimeout(function () { status.textContent = message; }, 50);
    }

    function selectAddress() {
      var range = document.createRange();
      range.selectNodeContents(link);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      announce(status.getAttribute("data-failed"));
    }

    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary share__button";
    button.textContent = status.getAttribute("data-button");
    link.parentNode.appendChild(document.createTextNode(" "));
    link.parentNode.appendChild(button);

    button.addEventListener("click", function () {
      var address = link.getAttribute("href");
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(address).then(function () {
          announce(status.getAttribute("data-copied"));
        }, selectAddress);
      } else {
        selectAddress();
      }
    });
  });
})();
