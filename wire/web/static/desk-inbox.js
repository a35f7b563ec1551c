/* The inbox's keyboard: j and k move between stories, s selects, x rejects the current one.
   Without this file every action is a button of the one triage form; with it, s and x send that
   form's data by fetch (the CSRF token as the X-CSRFToken header, as the desk's forms do) and
   the story's status changes in place. Keys typed into a field are left alone. */
(function () {
  "use strict";
  var form = document.getElementById("triage");
  if (!form) { return; }
  var stories = Array.prototype.slice.call(form.querySelectorAll("article.story"));
  var current = -1;
  var token = document.querySelector('meta[name="csrf-token"]');

  function focus(index) {
    if (!stories.length) { return; }
    current = Math.max(0, Math.min(stories.length - 1, index));
    stories.forEach(function (story, i) { story.classList.toggle("current", i === current); });
    stories[current].focus();
    stories[current].scrollIntoView({block: "nearest"});
  }

  function show(story, status, label) {
    var badge = story.querySelector(".status");
    story.className = story.className.replace(/\bstatus-\w+/, "status-" + status);
    badge.setAttribute("data-status", status);
    badge.textContent = label;
  }

  function act(key) {
    if (current < 0) { return; }
    var story = stories[current];
    var button = story.querySelector('button[data-key="' + key + '"]');
    if (!button) { return; }
    var data = new FormData();
    data.append("one", button.value);
    data.append("week", form.elements.week.value);
    data.append("csrf_token", form.elements.csrf_token.value);
    fetch(form.getAttribute("action"), {  /* not form.action: the buttons named "action" shadow it */
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": token ? token.content : ""}
    }).then(function (response) {
      return response.json().then(function (answer) { return {ok: response.ok, answer: answer}; });
    }).then(function (result) {
      if (!result.ok) { window.alert(result.answer.error); return; }
      show(story, result.answer.status, labelFor(result.answer.status));
    }).catch(function () { button.click(); });  /* no answer: send the form the plain way */
  }

  function labelFor(status) {
    var labels = form.getAttribute("data-status-" + status);
    return labels || status;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && target.type !== "checkbox") { return; }
    if (event.key === "j") { focus(current + 1); }
    else if (event.key === "k") { focus(current - 1); }
    else if (event.key === "s") { act("s"); }
    else if (event.key === "x") { act("x"); }
    else { return; }
    event.preventDefault();
  });
})();
