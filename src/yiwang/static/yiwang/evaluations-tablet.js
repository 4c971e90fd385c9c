/* The hall tablet's waiting screen asks the server every 4 seconds which visit to show, and reloads when a
   clerk asks for a rating (or the shown request ends). Only on the waiting and level screens: the reasons
   screen is never reloaded under the citizen's fingers. */
(function () {
  "use strict";
  var screen = document.querySelector(".tablet-screen");
  if (!screen) { return; }
  var step = screen.getAttribute("data-step");
  if (step === "thanks") {  // back to the waiting screen for the next person
    window.setTimeout(function () { window.location.assign(screen.getAttribute("data-home-url")); }, 8000);
    return;
  }
  if (step !== "level") { return; }
  var url = screen.getAttribute("data-pending-url");
  var shown = screen.getAttribute("data-visit") || "";
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var visit = data.visit === null ? "" : String(data.visit);
        if (visit !== shown) { window.location.reload(); }
      })
      .catch(function () { /* the network comes back; the next poll retries */ });
  }
  window.setInterval(poll, 4000);
}());
