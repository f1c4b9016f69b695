// Progressive enhancement for the editorial area; everything works without it.
// Asks before irreversible actions (withdraw, delete, force publish, revoke).
document.querySelectorAll("button.danger").forEach(function (button) {
  button.addEventListener("click", function (event) {
    if (!window.confirm(button.textContent.trim() + "?")) event.preventDefault();
  });
});

// Focal point: pick it by clicking the chosen image; the two crops preview live. The number
// fields stay the way to set it by keyboard. The images are made here, since without a chosen
// file there is nothing to show.
(function () {
  var input = document.getElementById("banner-image");
  var box = document.getElementById("crop-preview");
  var fx = document.getElementById("focal_x");
  var fy = document.getElementById("focal_y");
  if (!input || !box || !fx || !fy) return;
  var source = document.createElement("img");
  source.id = "focal-source";
  source.alt = "The chosen image: click where the crops should centre";
  document.getElementById("focal-stage").appendChild(source);
  var crops = [];
  box.querySelectorAll(".crop").forEach(function (frame) {
    var img = document.createElement("img");
    img.alt = frame.classList.contains("crop-desktop") ? "Desktop crop preview" : "Mobile crop preview";
    frame.appendChild(img);
    crops.push(img);
  });
  function update() {
    var position = fx.value + "% " + fy.value + "%";
    crops.forEach(function (img) { img.style.objectPosition = position; });
  }
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) { box.hidden = true; return; }
    var url = URL.createObjectURL(file);
    source.src = url;
    crops.forEach(function (img) { img.src = url; });
    box.hidden = false;
    update();
  });
  source.addEventListener("click", function (event) {
    var rect = source.getBoundingClientRect();
    fx.value = Math.round(((event.clientX - rect.left) / rect.width) * 100);
    fy.value = Math.round(((event.clientY - rect.top) / rect.height) * 100);
    update();
  });
  fx.addEventListener("input", update);
  fy.addEventListener("input", update);
})();
