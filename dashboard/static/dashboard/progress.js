// Live analysis progress over the API's Server-Sent Events stream (same session, same org).
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.EventSource) { return; }
  var source = new EventSource(box.getAttribute("data-stream"));
  var terminal = { completed: true, failed: true, cancelled: true };
  var lastMessage = null;
  var received = 0;
  function text(id, value) { document.getElementById(id).textContent = value; }
  source.addEventListener("progress", function (event) {
    var data = JSON.parse(event.data);
    received += 1;
    box.setAttribute("data-events", String(received));
    var percent = Math.max(0, Math.min(100, data.progress_percent || 0));
    var status = document.getElementById("live-status");
    status.innerHTML = "";
    var badge = document.createElement("span");
    badge.className = "status status-" + data.status;
    badge.textContent = data.status;
    status.appendChild(badge);
    text("live-stage", data.stage || "");
    text("live-percent", String(percent));
    text("live-message", data.message || "");
    var bar = document.getElementById("live-bar");
    bar.setAttribute("aria-valuenow", String(percent));
    bar.firstElementChild.style.width = percent + "%";
    if (data.message && data.message !== lastMessage) {
      var item = document.createElement("li");
      item.textContent = (data.stage ? data.stage + ": " : "") + data.message;
      document.getElementById("live-log").appendChild(item);
      lastMessage = data.message;
    }
    if (terminal[data.status]) {
      source.close();
      window.setTimeout(function () { window.location.reload(); }, 600);
    }
  });
  source.onerror = function () {
    // The server ends the stream after the terminal event; anything else EventSource retries.
    if (source.readyState === EventSource.CLOSED) { window.setTimeout(function () { window.location.reload(); }, 2000); }
  };
})();
