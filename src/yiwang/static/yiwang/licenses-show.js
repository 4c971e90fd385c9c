/* 亮证 (templates/licenses/show_code.html): count down the code's remaining time next to "5分钟内有效".
   The server already printed the end time, so nothing is lost without JavaScript. Not a live region: a
   screen reader would otherwise announce every second. At zero the page says the code has expired. */
(function () {
  function start() {
    var out = document.getElementById("show-countdown");
    if (!out) { return; }
    var left = parseInt(out.getAttribute("data-seconds"), 10);
    if (isNaN(left)) { return; }
    var end = Date.now() + left * 1000;
    function tick() {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      if (s === 0) {
        out.textContent = "，已过期，请刷新亮证码";
        out.classList.add("show-expired");
        var card = document.querySelector(".show-card");
        if (card) { card.classList.add("is-expired"); }
        return;
      }
      var m = Math.floor(s / 60);
      var r = s % 60;
      out.textContent = "，剩余 " + m + " 分 " + (r < 10 ? "0" : "") + r + " 秒";
      window.setTimeout(tick, 1000);
    }
    tick();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
