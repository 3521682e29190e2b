// Filters by severity and provider. The initial state may come from the address's
// fragment (#severity=critical,high&provider=aws) so that a filtered view can be linked.
"use strict";
(function () {
  const form = document.getElementById("filters");
  const groups = Array.from(document.querySelectorAll("tbody.identity"));
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has("severity")) {
    const wanted = fragment.get("severity").split(",");
    for (const box of form.querySelectorAll("input[name=severity]")) {
      box.checked = wanted.includes(box.value);
    }
  }
  if (fragment.has("provider")) {
    form.elements.provider.value = fragment.get("provider");
  }
  function apply() {
    const severities = new Set(
      Array.from(form.querySelectorAll("input[name=severity]:checked"), (b) => b.value));
    const provider = form.elements.provider.value;
    let identities = 0;
    let findings = 0;
    for (const g of groups) {
      const shown = severities.has(g.dataset.severity) &&
        (provider === "" || g.dataset.provider === provider);
      g.hidden = !shown;
      if (shown) {
        identities += 1;
        findings += Number(g.dataset.findings);
      }
    }
    document.getElementById("shown-identities").textContent = String(identities);
    document.getElementById("shown-findings").textContent = String(findings);
  }
  form.addEventListener("change", apply);
  apply();
  document.body.dataset.ready = "1";
})();
