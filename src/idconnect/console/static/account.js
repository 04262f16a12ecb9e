// The account page's dialogs: an opener link shows its <dialog> as a modal (Escape closes
// it, focus returns to the opener). Without JavaScript the link opens the page with the
// dialog shown in place, and Cancel is a plain link back.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const show = (dialog, opener) => {
    if (dialog.open) dialog.close();
    dialog.showModal();
    const first = dialog.querySelector("select, input:not([type=hidden]), textarea, button");
    if (first) first.focus();
    dialog.addEventListener("close", () => { if (opener) opener.focus(); }, { once: true });
  };
  for (const opener of document.querySelectorAll("a[data-dialog]")) {
    const dialog = document.getElementById(opener.dataset.dialog);
    if (!dialog) continue;
    opener.setAttribute("role", "button");
    opener.addEventListener("click", (event) => {
      event.preventDefault();
      show(dialog, opener);
    });
    opener.addEventListener("keydown", (event) => {
      if (event.key === " ") {
        event.preventDefault();
        show(dialog, opener);
      }
    });
  }
  for (const cancel of document.querySelectorAll("dialog [data-close]")) {
    cancel.addEventListener("click", (event) => {
      event.preventDefault();
      cancel.closest("dialog").close();
    });
  }
  // A dialog the page was opened with (?dialog=NAME) becomes modal too.
  const open = document.querySelector("dialog[open]:not(.inline)");
  if (open) show(open, document.getElementById(open.id.replace(/^dialog-/, "open-")));
});
