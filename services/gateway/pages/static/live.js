// Live pages: when the read models move (the gateway's /pages/changes event stream says
// so), the page's <main> is fetched again and swapped in place, and the status line says
// when. Without EventSource the page stays as loaded (reload to update).
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!window.EventSource || !status) { return; }
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var main = document.querySelector("main");
        if (!fresh || !main) { return; }
        var focused = document.activeElement && document.activeElement.id;
        main.replaceWith(fresh);
        if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
        document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
        status.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
      })
      .catch(function () { status.textContent = "Could not update; retrying."; })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  var source = new EventSource("/pages/changes");
  source.addEventListener("changed", refresh);
  source.addEventListener("open", function () { status.textContent = "Live: updates as events arrive."; });
})();
