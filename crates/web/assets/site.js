// Progressive enhancement only: every page works without this file.
// The "Copy link" button appears only where the clipboard can be used.
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  if (!navigator.clipboard) return;
  var input = document.getElementById(button.getAttribute("data-copy-target"));
  if (!input) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(input.value).then(function () {
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      if (status) status.textContent = button.getAttribute("data-copied");
    });
  });
});

// Search filters start folded so that a phone shows the results first; a wide screen has
// room for both, so they open there.
if (window.matchMedia && window.matchMedia("(min-width: 48rem)").matches) {
  document.querySelectorAll("details.search-filters").forEach(function (details) {
    details.open = true;
  });
}
