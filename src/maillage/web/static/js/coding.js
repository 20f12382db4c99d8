/* Coding a passage with the mouse: a selection inside #coding-text fills the form's
   passage (its words) and its offsets, counted in code points on the stored text. Each
   span of the text carries its stored offsets (data-s, data-e): a CR LF, one character
   for the browser, is its own span. Typing in the passage field clears the offsets:
   the server then finds the typed words. */
(function () {
  "use strict";
  var text = document.getElementById("coding-text");
  var quote = document.getElementById("c-quote");
  var start = document.getElementById("c-start");
  var end = document.getElementById("c-end");
  if (!text || !quote || !start || !end) return;

  function points(s) { return Array.from(s).length; }

  // The stored offset of (node, offset) of a DOM range boundary.
  function offsetOf(node, offset) {
    var span = node.nodeType === 1 ? node : node.parentNode;
    if (span === text) {
      // A boundary between spans: the start of the child at ``offset``, or the end.
      var child = text.childNodes[offset];
      if (child) return parseInt(child.getAttribute("data-s"), 10);
      return parseInt(text.getAttribute("data-length"), 10);
    }
    while (span && span.parentNode !== text) span = span.parentNode;
    if (!span) return null;
    var s = parseInt(span.getAttribute("data-s"), 10);
    var e = parseInt(span.getAttribute("data-e"), 10);
    var before = node.nodeType === 3 ? node.data.slice(0, offset) : "";
    return Math.min(s + points(before), e);
  }

  function onSelect() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    var range = sel.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    var a = offsetOf(range.startContainer, range.startOffset);
    var b = offsetOf(range.endContainer, range.endOffset);
    if (a === null || b === null || b <= a) return;
    start.value = String(a);
    end.value = String(b);
    quote.value = range.toString();
  }

  // A stance is kept only under a hypothesis: say so as soon as one is chosen with
  // a code that is not a hypothesis (a theme), before saving.
  var code = document.getElementById("c-code");
  var note = document.getElementById("c-stance-note");
  function onStance() {
    if (!code || !note) return;
    var option = code.options[code.selectedIndex];
    var stance = document.querySelector("#coding-form input[name=stance]:checked");
    var unkept = option && option.value && !option.hasAttribute("data-hypothesis") &&
      stance && stance.value;
    var said = unkept ? note.getAttribute("data-text") : "";
    if (note.textContent !== said) note.textContent = said;
  }
  if (code && note) {
    document.getElementById("coding-form").addEventListener("change", onStance);
    onStance();
  }

  text.addEventListener("mouseup", onSelect);
  text.addEventListener("keyup", onSelect);  // caret browsing (F7): Shift + arrows
  quote.addEventListener("input", function () { start.value = ""; end.value = ""; });
})();
