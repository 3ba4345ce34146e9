// Progressive enhancement of the search page's GET form: a changed filter checkbox, sort or match
// option applies at once. The same URL is fetched, the results, active filters and facet counts are
// replaced in place, the URL follows (the back button too), a polite status announces the new
// count, and focus stays where it was (WCAG 3.2.2, 4.1.3). Without JavaScript, or when a fetch
// fails, the form is submitted as before.
(function () {
  "use strict";
  var form = document.querySelector("form[data-search-form]");
  var status = document.getElementById("search-status");
  if (!form || !status || !window.fetch || !window.DOMParser || !window.history.pushState) { return; }

  var DEBOUNCE_MS = 300; // rapid clicks make one request
  var timer = null;
  var controller = null;
  var submitting = false;

  function formUrl() {
    var url = new URL(form.action);
    url.search = new URLSearchParams(new FormData(form)).toString();
    url.hash = "";
    return url.href;
  }

  // A child's identity among its siblings: data-key, id, or its position among unkeyed siblings of
  // the same kind, so that a new list of facet values is matched value by value, not by position.
  function keys(parent) {
    var seen = {};
    return Array.prototype.map.call(parent.childNodes, function (node) {
      var key = node.nodeType === 1 && (node.getAttribute("data-key") || node.id);
      if (key) { return "k:" + key; }
      seen[node.nodeName] = (seen[node.nodeName] || 0) + 1;
      return node.nodeName + "#" + seen[node.nodeName];
    });
  }

  function copyAttributes(from, to) {
    Array.prototype.slice.call(to.attributes).forEach(function (attribute) {
      if (!from.hasAttribute(attribute.name)) { to.removeAttribute(attribute.name); }
    });
    Array.prototype.forEach.call(from.attributes, function (attribute) {
      if (to.getAttribute(attribute.name) !== attribute.value) { to.setAttribute(attribute.name, attribute.value); }
    });
  }

  // Make ``old`` look like ``fresh``. Nodes without the focus are simply replaced; the focused
  // element and its ancestors are updated in place, since removing them from the document would
  // drop the focus to the page's start.
  function morph(old, fresh) {
    var active = document.activeElement;
    if (!old.contains(active) || old.nodeType !== 1 || old.nodeName !== fresh.nodeName) {
      old.parentNode.replaceChild(fresh, old);
      return;
    }
    copyAttributes(fresh, old);
    if (old === active) {
      if ("checked" in old) { old.checked = fresh.hasAttribute("checked"); }
      return;
    }
    var oldByKey = {};
    var oldKeys = keys(old);
    Array.prototype.forEach.call(old.childNodes, function (node, i) { oldByKey[oldKeys[i]] = node; });
    var freshKeys = keys(fresh);
    var anchor = null; // the child holding the focus: it stays put, the others are placed around it
    var wanted = Array.prototype.slice.call(fresh.childNodes).map(function (node, i) {
      var match = oldByKey[freshKeys[i]];
      if (match && match.contains(active)) {
        morph(match, node);
        anchor = match;
        return match;
      }
      return node;
    });
    Array.prototype.slice.call(old.childNodes).forEach(function (node) {
      if (node !== anchor) { old.removeChild(node); }
    });
    var at = anchor ? wanted.indexOf(anchor) : wanted.length;
    wanted.slice(0, at).forEach(function (node) { old.insertBefore(node, anchor); });
    wanted.slice(at + 1).forEach(function (node) { old.appendChild(node); });
  }

  function apply(html, url, push) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var parts = document.querySelectorAll("[data-search-part]");
    var complete = Array.prototype.every.call(parts, function (part) { return fresh.getElementById(part.id); });
    var freshForm = fresh.querySelector("form[data-search-form]");
    if (!parts.length || !complete || !freshForm) { return false; }
    Array.prototype.forEach.call(parts, function (part) { morph(part, fresh.getElementById(part.id)); });
    if (!push) { // back or forward: the text and options of that state too
      ["q", "operator", "sort"].forEach(function (name) {
        var field = form.elements[name];
        var value = freshForm.elements[name];
        if (field && value) { field.value = value.value; }
      });
    }
    document.title = fresh.title;
    if (push && url !== window.location.href) { window.history.pushState({ kbSearch: true }, "", url); }
    var heading = document.getElementById("results-heading");
    status.textContent = heading ? heading.textContent.trim() : "";
    return true;
  }

  function load(url, push) {
    if (controller) { controller.abort(); }
    controller = new AbortController();
    var mine = controller;
    form.setAttribute("aria-busy", "true");
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin", signal: mine.signal })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text().then(function (html) { return { html: html, url: response.url }; });
      })
      .then(function (answer) {
        if (mine !== controller || submitting) { return; } // a newer request or a real submit took over
        form.removeAttribute("aria-busy");
        if (!apply(answer.html, answer.url, push)) { throw new Error("unexpected page"); }
      })
      .catch(function (error) {
        if (error.name === "AbortError" || submitting) { return; }
        // The page reloads with the same selection, so the visitor sees the server's answer.
        if (window.console) { window.console.warn("search update failed, submitting the form:", error); }
        if (push) { form.submit(); } else { window.location.reload(); }
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { load(formUrl(), true); }, DEBOUNCE_MS);
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type === "checkbox" || target.nodeName === "SELECT") { schedule(); }
  });

  // A region on the map ticks its checkbox (when the list has it), so choices not applied yet stay.
  form.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-region-map] a[href]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    var code = link.getAttribute("data-region") || (link.hasAttribute("data-region-national") ? "national" : "");
    var box = code && form.querySelector("input[name=region][value='" + code + "']");
    if (!box) { return; } // the link's own URL then
    event.preventDefault();
    box.checked = !box.checked;
    schedule();
  });

  // The buttons still submit the form normally (a full page): nothing pending may overtake it.
  form.addEventListener("submit", function () {
    submitting = true;
    clearTimeout(timer);
    if (controller) { controller.abort(); }
  });

  window.history.replaceState({ kbSearch: true }, "", window.location.href);
  window.addEventListener("popstate", function (event) {
    if (event.state && event.state.kbSearch) { load(window.location.href, false); }
  });
  window.addEventListener("pageshow", function () { submitting = false; });
})();
