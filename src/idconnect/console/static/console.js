// The support console's progressive enhancement; every page works without it for reading.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // Forms marked data-autosubmit (store picker, page size) submit when a select changes.
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    form.addEventListener("change", () => form.requestSubmit());
  }
  // The filter panel: (de)selecting a field pins or unpins it at once.
  const search = document.getElementById("search-form");
  if (search) {
    search.addEventListener("change", (event) => {
      if (event.target.name === "pin") search.requestSubmit();
    });
  }
  const form = document.getElementById("actions-form");
  const dialog = document.getElementById("action-dialog");
  if (!form || !dialog) return;
  const rows = [...form.querySelectorAll("input.row-select")];
  const page = document.getElementById("select-page");
  const all = document.getElementById("all-matching");
  const bar = document.getElementById("quick-actions");
  const count = document.getElementById("selected-count");
  const total = document.getElementById("match-count");
  const selected = () => rows.filter((box) => box.checked).length;
  const refresh = () => {
    const n = selected();
    bar.classList.toggle("idle", n === 0 && !all.checked);
    count.textContent = all.checked ? "All matching accounts selected" : n ? `${n} selected` : "Select accounts for quick actions";
  };
  for (const box of rows) box.addEventListener("change", refresh);
  all.addEventListener("change", refresh);
  if (page) {
    page.addEventListener("change", () => {
      for (const box of rows) box.checked = page.checked;
      refresh();
    });
  }
  refresh();

  const submit = document.getElementById("dialog-submit");
  const group = document.getElementById("dialog-group");
  const confirm = document.getElementById("dialog-confirm");
  let opener = null;
  for (const button of bar.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      const action = button.dataset.action;
      const title = button.textContent.trim();
      opener = button;
      document.getElementById("dialog-title").textContent = title;
      document.getElementById("dialog-scope").textContent = all.checked
        ? `Every matching account (${total.textContent.split(";")[0]}).` : `${selected()} selected account(s).`;
      for (const part of dialog.querySelectorAll("[data-for]")) {
        part.hidden = !part.dataset.for.split(" ").includes(action);
      }
      group.required = action.endsWith("group");
      confirm.required = action === "delete";
      submit.value = action;
      submit.textContent = title;
      document.getElementById("dialog-progress").textContent = "";
      dialog.showModal();
      document.getElementById(group.required ? "dialog-group" : "dialog-reason").focus();
    });
  }
  document.getElementById("dialog-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => { if (opener) opener.focus(); });
  form.addEventListener("submit", () => {
    if (!dialog.open) return;
    const n = all.checked ? "every matching" : String(selected());
    document.getElementById("dialog-progress").textContent = `Working on ${n} account(s)…`;
    setTimeout(() => { submit.disabled = true; });
  });
});
