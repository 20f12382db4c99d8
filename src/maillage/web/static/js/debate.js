// A link to one comment (#comment-12: a notification e-mail, the moderation queue, the
// page after a comment is sent) reaches it once the thread, fetched after the page by
// htmx, is in place: the browser looked for the anchor before it existed.
"use strict";

document.addEventListener("htmx:after:settle", function reach() {
  const id = decodeURIComponent(window.location.hash.slice(1));
  if (!id.startsWith("comment-") && id !== "debate") return;
  const target = document.getElementById(id);
  // not the placeholder that the thread replaces (#debate before it is loaded)
  if (!target || !target.closest("#debate") || target.hasAttribute("hx-get")) return;
  document.removeEventListener("htmx:after:settle", reach);
  if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  target.scrollIntoView({ block: "start" });
  target.focus({ preventScroll: true });
});
