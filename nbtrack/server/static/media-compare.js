// The media comparison page: the chosen key's card for each chosen run (media.js), and one step
// control that moves every run's slider to its latest step at or before the one asked for.
"use strict";
(function () {
  const M = window.nbtrackMedia;
  const root = document.getElementById("media-compare");
  if (!M || !root) return;
  const cards = [];
  for (const column of root.querySelectorAll(".run-column")) {
    const card = M.keyCard(column.dataset.api, { key: column.dataset.key, type: column.dataset.type });
    card.querySelector("h3").remove(); // the column's heading names the run
    column.append(card);
    cards.push(card);
  }

  function moveAll(step) {
    for (const card of cards) {
      const stepper = card.stepper;
      if (!stepper || !stepper.steps.length) continue;
      let index = 0;
      while (index + 1 < stepper.steps.length && stepper.steps[index + 1] <= step) index++;
      stepper.follow = false;
      stepper.go(index);
    }
  }

  const input = document.getElementById("step-all");
  input.addEventListener("change", () => { if (input.value !== "") moveAll(Number(input.value)); });
  document.getElementById("latest-all").addEventListener("click", () => moveAll(Infinity));
})();
