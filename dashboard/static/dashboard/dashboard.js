// Small progressive enhancements (the pages work without them): the organisation switcher
// submits on change, and buttons with data-confirm ask first. No inline handlers (CSP).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]")) { select.form.submit(); }
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
