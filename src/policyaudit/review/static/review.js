// Keyboard shortcuts on a cell page: m / p / n set the verdict, c toggles conflicts,
// j opens the next cell of the queue. Ignored while typing in a text field.
(function () {
  "use strict";
  var VERDICTS = { m: "met", p: "partial", n: "not_met" };

  function typing(el) {
    if (!el || !el.matches) return false;
    return el.isContentEditable ||
      el.matches("textarea, select, input:not([type=radio]):not([type=checkbox]):not([type=submit])");
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key.toLowerCase();
    var form = document.getElementById("coding-form");
    if (VERDICTS[key] && form) {
      var radio = form.querySelector('input[name=verdict][value="' + VERDICTS[key] + '"]');
      if (radio) { radio.checked = true; radio.focus(); event.preventDefault(); }
    } else if (key === "c" && form) {
      var box = form.querySelector("input[name=conflicts]");
      if (box) { box.checked = !box.checked; event.preventDefault(); }
    } else if (key === "j") {
      var next = document.getElementById("next-cell");
      if (next) { window.location.assign(next.href); event.preventDefault(); }
    }
  });
})();
