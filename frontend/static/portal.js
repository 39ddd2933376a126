// dataportal pages work without this script; it only adds conveniences:
// search-as-you-type suggestions and upload progress.
(function () {
  "use strict";

  function suggest(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) { return; }
    var timer = null, seq = 0;
    function close() { list.hidden = true; list.innerHTML = ""; input.setAttribute("aria-expanded", "false"); }
    input.setAttribute("aria-expanded", "false");
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length === 0) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            if (mine !== seq) { return; }
            list.innerHTML = "";
            var en = document.documentElement.lang === "en";
            items.forEach(function (it, i) {
              var li = document.createElement("li");
              li.setAttribute("role", "option");
              li.id = "suggestion-" + i;
              var a = document.createElement("a");
              a.href = "/datasets/" + encodeURIComponent(it.id);
              a.textContent = (en && it.title_en) ? it.title_en : it.title;
              li.appendChild(a);
              list.appendChild(li);
            });
            list.hidden = items.length === 0;
            input.setAttribute("aria-expanded", items.length ? "true" : "false");
          })
          .catch(function () { close(); });
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { close(); }
      if (e.key === "ArrowDown" && !list.hidden) {
        var first = list.querySelector("a");
        if (first) { first.focus(); e.preventDefault(); }
      }
    });
    document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) { close(); } });
  }

  function uploadProgress(form) {
    form.addEventListener("submit", function (e) {
      var file = form.querySelector("input[type=file]");
      var bar = form.querySelector("progress");
      if (!file || !file.files.length || !bar || !window.XMLHttpRequest) { return; }
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (ev) {
        if (ev.lengthComputable) { bar.max = ev.total; bar.value = ev.loaded; }
      });
      xhr.addEventListener("load", function () { window.location.href = xhr.responseURL || form.action; });
      xhr.addEventListener("error", function () { form.submit(); });
      bar.hidden = false;
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), suggest);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-progress]"), uploadProgress);
  });
})();
