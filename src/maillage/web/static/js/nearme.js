// "Around me": the browser's position, after the visitor's consent (the browser asks),
// rounded to about 100 m, opens the list of the nearest places. Shown only where the
// browser offers geolocation; nothing is asked before the button is pressed.
(function () {
  "use strict";
  document.querySelectorAll("[data-near-me]").forEach(function (button) {
    if (!("geolocation" in navigator)) return;
    button.hidden = false;
    var status = button.form && button.form.querySelector("[data-near-status]");
    function say(text) { if (status) status.textContent = text || ""; }
    button.addEventListener("click", function () {
      say(status && status.dataset.asking);
      navigator.geolocation.getCurrentPosition(function (position) {
        var url = new URL(button.dataset.url, window.location.href);
        url.searchParams.set("lat", position.coords.latitude.toFixed(3));
        url.searchParams.set("lon", position.coords.longitude.toFixed(3));
        window.location.assign(url.toString());
      }, function () {
        say(status && status.dataset.refused);
      }, { maximumAge: 600000, timeout: 15000 });
    });
  });
})();
