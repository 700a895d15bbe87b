// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", (event) => {
      // Destructive actions ask first; without JavaScript the server still refuses nothing unsafe.
      const question = form.dataset.confirm;
      if (question && !window.confirm(question)) {
        event.preventDefault();
        return;
      }
      // Keep a double click from posting the form twice.
      for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = true;
    });
  }
});
