/* The composer's enhancements; every form works without them (CSP: no inline script).
   - Drag a story within its section: the new order is posted through the same form as the
     up and down buttons (a full order, which the server checks and keeps sections whole).
   - While an edition is being sent, poll its status (JSON) and update the numbers in place. */
(function () {
  "use strict";

  function setUpDragging() {
    var form = document.getElementById("drag-order");
    if (!form) return;
    var dragged = null;
    document.querySelectorAll(".composer-entry[draggable=true]").forEach(function (entry) {
      entry.addEventListener("dragstart", function (event) {
        dragged = entry;
        entry.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", entry.dataset.story);
      });
      entry.addEventListener("dragend", function () {
        entry.classList.remove("dragging");
        dragged = null;
      });
      entry.addEventListener("dragover", function (event) {
        // only within the story's own section: a reader sees each section's stories together
        if (dragged && dragged !== entry && dragged.parentNode === entry.parentNode) event.preventDefault();
      });
      entry.addEventListener("drop", function (event) {
        if (!dragged || dragged.parentNode !== entry.parentNode) return;
        event.preventDefault();
        var box = entry.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        entry.parentNode.insertBefore(dragged, after ? entry.nextSibling : entry);
        var order = Array.prototype.map.call(document.querySelectorAll(".composer-entry"), function (e) {
          return e.dataset.story;
        });
        form.elements.order.value = order.join(",");
        form.submit();
      });
    });
  }

  function setUpProgress() {
    var box = document.getElementById("send-progress");
    if (!box) return;
    var url = box.dataset.statusUrl;
    var bar = box.querySelector("progress");
    var idle = 0;

    function show(data) {
      ["done", "total", "sent", "queued", "deferred", "failed", "in_flight"].forEach(function (key) {
        var field = box.querySelector('[data-field="' + key + '"]');
        if (field) field.textContent = String(data[key]);
      });
      box.querySelectorAll("[data-status]").forEach(function (label) {
        label.hidden = label.dataset.status !== data.status;
      });
      var error = box.querySelector('[data-field="error"]');
      error.textContent = data.error || "";
      error.hidden = !data.error;
      bar.value = data.percent;
      box.dataset.status = data.status;
      var resume = document.getElementById("resume");
      if (resume) resume.hidden = data.running || data.status === "sent" || !(data.queued || data.error);
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          show(data);
          idle = data.running ? 0 : idle + 1;
          // stop once sent, or when nothing has been sending for a few polls (stopped: the error says why)
          if (data.status !== "sent" && idle < 4) window.setTimeout(poll, 1000);
        })
        .catch(function () {
          window.setTimeout(poll, 5000);
        });
    }
    if (box.dataset.status !== "sent") poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpDragging();
    setUpProgress();
  });
})();
