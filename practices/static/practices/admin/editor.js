// The practice editor's small helpers (loaded by practices/wagtail_hooks.py; no inline script).
// 1. Searchable checkbox lists (practices/forms.py SearchableCheckboxSelectMultiple): typing hides
//    the values that do not contain the text; checked values stay checked while hidden.
// 2. StreamField add buttons: Wagtail draws them as a bare "+" icon; each gets a visible label.
(function () {
  "use strict";
  const script = document.currentScript;
  const addBlockLabel = script ? script.dataset.addBlockLabel : "";

  function normalise(text) {
    return text.toLocaleLowerCase().normalize("NFC").trim();
  }

  function setUpSearch(container) {
    const search = container.querySelector("[data-kb-choices-search]");
    const status = container.querySelector("[data-kb-choices-status]");
    const options = Array.from(container.querySelectorAll(".kb-searchable-choices__list label"));
    container.querySelector(".kb-searchable-choices__search").hidden = false;
    search.addEventListener("input", () => {
      const query = normalise(search.value);
      let shown = 0;
      options.forEach((label) => {
        const match = !query || normalise(label.textContent).includes(query);
        label.parentElement.hidden = !match;
        if (match) shown += 1;
      });
      status.textContent = query ? status.dataset.template.replace("%(shown)s", shown) : "";
    });
  }

  function labelAddButtons(root) {
    if (!addBlockLabel) return;
    root.querySelectorAll(".c-sf-add-button:not([data-kb-labelled])").forEach((button) => {
      const label = document.createElement("span");
      label.className = "kb-add-block-label";
      label.textContent = addBlockLabel;
      button.append(label);
      button.dataset.kbLabelled = "";
      button.classList.add("kb-add-block-button");
    });
  }

  function start() {
    document.querySelectorAll("[data-kb-searchable-choices]").forEach(setUpSearch);
    labelAddButtons(document);
    // Wagtail adds a button after every new block, and when a StreamField initialises.
    new MutationObserver(() => labelAddButtons(document)).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
