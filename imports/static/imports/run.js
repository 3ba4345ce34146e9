// Drives the import run from the progress page: posts one chunk at a time (the server handles 25 rows
// per request), updates the <progress> and the live status, and opens the done page at the end.
// Without JavaScript the form's "Continue" button does the same one chunk per click.
(() => {
  const form = document.querySelector("[data-import-run]");
  if (!form) return;
  const progress = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  const button = form.querySelector("button");

  async function run() {
    button.disabled = true;
    try {
      for (;;) {
        const response = await fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: {Accept: "application/json"},
        });
        if (!response.ok) throw new Error(String(response.status));
        const data = await response.json();
        progress.max = data.total;
        progress.value = data.position;
        status.textContent = data.status;
        if (data.done) {
          window.location.assign(data.next);
          return;
        }
      }
    } catch (error) {
      status.textContent = form.dataset.errorText;
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  run();
})();
