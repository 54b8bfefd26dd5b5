// The vote: a live counter per envelope (money, projects or points), said in words in an
// aria-live region; and the "copy the receipt" button. The pages work without it: the
// server checks every ballot at the next step.
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function setUpCounters(form) {
    var sentences = {};
    try { sentences = JSON.parse(form.getAttribute("data-counters") || "{}"); } catch (e) { return; }
    var locale = form.getAttribute("data-locale") || document.documentElement.lang || "fr";
    var money = new Intl.NumberFormat(locale, { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
    function euros(value) { return money.format(value).replace(/\u202f/g, "\u00a0"); }

    function update(section) {
      var kind = section.getAttribute("data-kind");
      var amount = Number(section.getAttribute("data-amount")) || 0;
      var max = Number(section.getAttribute("data-max")) || 0;
      var total = Number(section.getAttribute("data-total")) || 0;
      var inputs = section.querySelectorAll("input[name^='p-']");
      var spent = 0, count = 0, used = 0;
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        var points = input.type === "checkbox" ? (input.checked ? 1 : 0) : (parseInt(input.value, 10) || 0);
        var item = input.closest(".vote-project");
        if (item) { item.classList.toggle("vote-project-chosen", points > 0); }
        if (points > 0) {
          count += 1;
          used += points;
          spent += Number(input.getAttribute("data-cost")) || 0;
        }
      }
      var text, share, over;
      if (kind === "knapsack") {
        over = spent > amount;
        share = amount ? spent / amount : 0;
        text = over
          ? fill(sentences.knapsack_over, { spent: euros(spent), over: euros(spent - amount), amount: euros(amount) })
          : fill(sentences.knapsack, { spent: euros(spent), amount: euros(amount), left: euros(amount - spent) });
      } else if (kind === "cumulative") {
        over = used > total;
        share = total ? used / total : 0;
        text = over
          ? fill(sentences.cumulative_over, { used: used, over: used - total, total: total })
          : fill(sentences.cumulative, { used: used, total: total, left: total - used });
      } else {
        over = max > 0 && count > max;
        share = max ? count / max : 0;
        text = max
          ? fill(sentences.approval, { count: count, max: max })
          : fill(sentences.approval_open, { count: count });
      }
      var counter = section.querySelector(".vote-counter");
      var box = section.querySelector(".vote-counter-box");
      var bar = section.querySelector(".vote-bar-fill");
      if (counter && counter.textContent !== text) { counter.textContent = text; }
      if (counter) { counter.classList.toggle("vote-counter-over", over); }
      if (box) { box.setAttribute("data-over", over ? "true" : "false"); }
      if (bar) { bar.style.width = Math.min(100, Math.round(share * 100)) + "%"; }
    }

    var sections = form.querySelectorAll(".vote-envelope[data-kind]");
    for (var s = 0; s < sections.length; s++) {
      (function (section) {
        section.addEventListener("change", function () { update(section); });
        section.addEventListener("input", function () { update(section); });
        update(section);
      })(sections[s]);
    }
  }

  function setUpCopy(button) {
    var target = document.getElementById(button.getAttribute("data-target"));
    var status = document.getElementById("copy-status");
    if (!target || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        if (status) { status.textContent = button.getAttribute("data-done"); }
      }, function () {
        // Copying refused (permissions): select the receipt so that the voter copies it.
        var range = document.createRange();
        range.selectNodeContents(target);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      });
    });
  }

  var forms = document.querySelectorAll("form[data-counters]");
  for (var f = 0; f < forms.length; f++) { setUpCounters(forms[f]); }
  // Paper ballots: after "save and next", the station is kept; typing resumes on the ballot.
  var paper = document.querySelector("form[data-focus-first] input[name^='p-']");
  if (paper) { paper.focus(); }
  var copy = document.getElementById("copy-receipt");
  if (copy) { setUpCopy(copy); }
})();
