// The report's one button: print (or save as PDF). No inline handlers: the CSP allows
// scripts from /static only.
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-print]");
  if (b) { e.preventDefault(); window.print(); }
});
