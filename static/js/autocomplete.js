// Progressive enhancement: suggestions for search boxes marked data-autocomplete, from
// /api/v1/autocomplete/. Without JavaScript the search works the same, just without suggestions.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("input[data-autocomplete]");
  Array.prototype.forEach.call(boxes, function (input, index) {
    var list = document.createElement("datalist");
    list.id = "autocomplete-" + index;
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.parentNode.appendChild(list);
    var timer = null;
    var latest = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2 || text === latest) { return; }
      timer = setTimeout(function () {
        latest = text;
        var url = input.getAttribute("data-autocomplete") + "?lang=" + document.documentElement.lang +
          "&q=" + encodeURIComponent(text);
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
          .then(function (data) {
            list.textContent = "";
            data.suggestions.forEach(function (suggestion) {
              var option = document.createElement("option");
              option.value = suggestion.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are optional */ });
      }, 200);
    });
  });
})();
