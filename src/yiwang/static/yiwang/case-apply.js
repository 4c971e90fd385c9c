/* 在线申请 (cases/portal/apply.html): the form saves itself through htmx (hx-trigger="change delay:1s").
   htmx leaves error responses unswapped; the autosave endpoint answers 401 (signed out meanwhile), 409 (the
   draft was changed on another device) or 422 (something could not be kept) with a line meant for the status
   area, so show it there. Other errors (a CSRF refusal's full page) are left out. */
document.addEventListener("htmx:beforeSwap", function (event) {
  var detail = event.detail;
  var status = detail.xhr ? detail.xhr.status : 0;
  if (detail.target && detail.target.id === "autosave-status" && (status === 401 || status === 409 || status === 422)) {
    detail.shouldSwap = true;
    detail.isError = false;
  }
});

/* Once “保存草稿” or “提交申请” sends the whole page, a pending autosave (its one-second timer) must not follow
   it: after a submission it would bring the deleted draft back. */
var applyFormSent = false;
document.addEventListener("submit", function (event) {
  if (event.target && event.target.id === "apply-form") {
    applyFormSent = true;
  }
});
document.addEventListener("htmx:beforeRequest", function (event) {
  if (applyFormSent && event.detail.elt && event.detail.elt.id === "apply-form") {
    event.preventDefault();
  }
});
