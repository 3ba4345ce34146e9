// The region map's full names for sighted users: the tiles show abbreviations ("EP"), so hovering or
// focusing a tile shows its full name in a tooltip and highlights its line in the key beside the map.
// WCAG 1.4.13: the tooltip stays while the pointer is on the tile or on the tooltip itself, and
// Escape hides it. Touch users read the key, which is always visible. Event delegation on the
// document: the search page may replace the map when the facets update.
(function () {
  "use strict";
  var TILE = "[data-region-map] a[data-region]";
  var dismissed = null;  // the tile whose tooltip Escape hid: not shown again until the pointer leaves it

  function parts(link) {
    var map = link.closest("[data-region-map]");
    return { map: map, tip: map.querySelector("[data-region-tip]") };
  }

  function mark(map, code) {
    map.querySelectorAll("[data-region-key]").forEach(function (item) {
      item.classList.toggle("is-active", item.getAttribute("data-region-key") === code);
    });
  }

  function show(link) {
    var found = parts(link);
    if (!found.tip) return;
    var body = found.tip.offsetParent || found.map;
    var tile = link.getBoundingClientRect();
    var frame = body.getBoundingClientRect();
    found.tip.textContent = link.getAttribute("data-name");
    found.tip.hidden = false;
    // Centred above the tile, overlapping its top edge so that the pointer can move onto it.
    found.tip.style.left = (tile.left - frame.left + tile.width / 2) + "px";
    found.tip.style.top = (tile.top - frame.top + 6) + "px";
    found.map.setAttribute("data-tip-for", link.getAttribute("data-region"));
    mark(found.map, link.getAttribute("data-region"));
  }

  function hide(map) {
    var tip = map.querySelector("[data-region-tip]");
    if (tip) tip.hidden = true;
    map.removeAttribute("data-tip-for");
    mark(map, null);
  }

  function hideAll() {
    document.querySelectorAll("[data-region-map][data-tip-for]").forEach(hide);
  }

  document.addEventListener("mouseover", function (event) {
    var link = event.target.closest(TILE);
    if (link && link !== dismissed) show(link);
  });
  document.addEventListener("mouseout", function (event) {
    var from = event.target.closest(TILE + ", [data-region-tip]");
    if (!from) return;
    var to = event.relatedTarget;
    if (from === dismissed && !(to && from.contains(to))) dismissed = null;
    var map = from.closest("[data-region-map]");
    // Moving between a tile and its tooltip (or within either) keeps the tooltip.
    if (to && map.contains(to) && to.closest(TILE + ", [data-region-tip]")) return;
    if (document.activeElement && document.activeElement.closest && document.activeElement.closest(TILE)
        && map.contains(document.activeElement)) {
      show(document.activeElement.closest(TILE));  // back to the focused tile's name
      return;
    }
    hide(map);
  });
  document.addEventListener("focusin", function (event) {
    var link = event.target.closest && event.target.closest(TILE);
    if (link) {
      dismissed = null;
      show(link);
    }
  });
  document.addEventListener("focusout", function (event) {
    var link = event.target.closest && event.target.closest(TILE);
    if (link && !(event.relatedTarget && event.relatedTarget.closest && event.relatedTarget.closest(TILE))) {
      hide(link.closest("[data-region-map]"));
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var shown = document.querySelector("[data-region-map][data-tip-for]");
    if (shown) dismissed = shown.querySelector('a[data-region="' + shown.getAttribute("data-tip-for") + '"]');
    hideAll();
  });
})();
