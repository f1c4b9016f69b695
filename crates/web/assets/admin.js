// Progressive enhancement for the editorial area; everything works without it.
// Asks before irreversible actions (withdraw, delete, force publish, revoke).
document.querySelectorAll("button.danger").forEach(function (button) {
  button.addEventListener("click", function (event) {
    if (!window.confirm(button.textContent.trim() + "?")) event.preventDefault();
  });
});
