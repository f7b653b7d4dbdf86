// Mark the bounds that differ from the base scenario, so the planner sees what "求解" will change.
(function () {
  function mark(input) {
    if (!input.classList.contains("num")) return;
    input.classList.toggle("changed", input.value.trim() !== (input.dataset.base || ""));
  }
  document.addEventListener("input", function (e) { mark(e.target); });
  document.addEventListener("reset", function (e) {
    setTimeout(function () { e.target.querySelectorAll("input.num").forEach(mark); }, 0);
  });
})();
