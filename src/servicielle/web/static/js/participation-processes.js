// Phase form: choosing a kind of phase ticks its usual features (the button does the same
// without JavaScript). Only the features change; the agent can untick them afterwards.
(function () {
  "use strict";
  var button = document.getElementById("phase-defaults");
  var kind = document.getElementById("phase-kind");
  if (!button || !kind) { return; }
  var defaults = {};
  try { defaults = JSON.parse(button.getAttribute("data-defaults") || "{}"); } catch (e) { return; }
  function apply() {
    var wanted = defaults[kind.value] || [];
    var boxes = document.querySelectorAll("input[name=features]");
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].checked = wanted.indexOf(boxes[i].value) !== -1;
    }
  }
  kind.addEventListener("change", apply);
  button.addEventListener("click", function (event) {
    event.preventDefault();
    apply();
  });
})();
