// Progressive enhancement for server-rendered pages: case actions post with fetch and swap in the returned
// fragment; the suggestions panel loads after the page shows. Without JavaScript every form still works.
(function () {
  "use strict";
  var body = document.body;
  var csrf = body.getAttribute("data-csrf") || "";

  function toast(html, isError) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.className = "toast show" + (isError ? " error" : "");
    box.innerHTML = html;
    window.clearTimeout(toast.timer);
    toast.timer = window.setTimeout(function () { box.className = "toast"; }, 6000);
  }

  function text(msg) {
    var p = document.createElement("p");
    p.textContent = msg;
    return p.outerHTML;
  }

  function fetchFragment(url, options) {
    options = options || {};
    options.headers = Object.assign({ "X-Partial": "1", "X-CSRF-Token": csrf }, options.headers || {});
    options.credentials = "same-origin";
    return fetch(url, options).then(function (res) {
      return res.text().then(function (html) { return { ok: res.ok, status: res.status, html: html }; });
    });
  }

  function loadSuggestions(root) {
    var box = (root || document).querySelector("#suggestions[data-src]");
    if (!box) return;
    box.setAttribute("aria-busy", "true");
    box.innerHTML = text(body.getAttribute("data-msg-loading"));
    fetchFragment(box.getAttribute("data-src")).then(function (r) {
      box.removeAttribute("aria-busy");
      box.innerHTML = r.html;
    }).catch(function () {
      box.removeAttribute("aria-busy");
      box.innerHTML = text(body.getAttribute("data-msg-network"));
    });
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-partial")) return;
    var target = document.getElementById("case-main");
    if (!target) return;
    ev.preventDefault();
    var data = new FormData(form, ev.submitter || undefined);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetchFragment(form.action, {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (r) {
      if (r.ok) {
        target.innerHTML = r.html;
        loadSuggestions(target);
        var notice = target.querySelector(".notice");
        if (notice) { notice.setAttribute("tabindex", "-1"); notice.focus(); }
      } else {
        buttons.forEach(function (b) { b.disabled = false; });
        toast(r.html, true);
      }
    }).catch(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      toast(text(body.getAttribute("data-msg-network")), true);
    });
  });

  document.addEventListener("click", function (ev) {
    var button = ev.target instanceof Element ? ev.target.closest("[data-use-draft]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-use-draft"));
    var field = document.getElementById(button.getAttribute("data-target"));
    if (source && field) {
      field.value = source.textContent;
      field.focus();
    }
  });

  loadSuggestions(document);
})();
