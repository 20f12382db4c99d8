/* Coding a passage with the mouse: a selection inside #coding-text fills the form's
   passage (its words) and its offsets, counted in code points on the stored text. The
   text's content in the page is the stored text character for character (a CR is
   written as &#13;, which the HTML parser keeps; spans mark only the coded passages),
   so an offset is the number of code points before the selection's boundary. Typing
   in the passage field clears the offsets: the server then finds the typed words. */
(function () {
  "use strict";
  var text = document.getElementById("coding-text");
  var quote = document.getElementById("c-quote");
  var start = document.getElementById("c-start");
  var end = document.getElementById("c-end");
  if (!text || !quote || !start || !end) return;

  var ASTRAL = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
  function points(s) {
    var pairs = s.match(ASTRAL);
    return s.length - (pairs ? pairs.length : 0);
  }

  // The stored offset of (node, offset), a DOM range boundary inside the text: the code
  // points of the text before it.
  function offsetOf(node, offset) {
    var before = document.createRange();
    before.setStart(text, 0);
    before.setEnd(node, offset);
    return points(before.toString());
  }

  // The DOM point of the stored offset ``at`` (code points from the start of the text):
  // the same count as offsetOf, walked the other way, text node by text node.
  function pointAt(at) {
    var walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var n = points(node.data);
      if (at <= n) {
        var i = 0;
        for (; at > 0 && i < node.data.length; at--) {
          var c = node.data.charCodeAt(i);
          i += c >= 0xD800 && c <= 0xDBFF && i + 1 < node.data.length ? 2 : 1;
        }
        return [node, i];
      }
      at -= n;
    }
    return null;
  }

  // Open the text box (not the page) at the offset the server names: the passage just
  // coded, or the one of a refused form, about a third of the way down the box; the
  // coder keeps her place in a long text.
  function showOffset() {
    var raw = text.getAttribute("data-show-start");
    if (!raw || !/^[0-9]+$/.test(raw)) return;
    var point = pointAt(parseInt(raw, 10));
    if (!point) return;
    var range = document.createRange();
    range.setStart(point[0], point[1]);
    range.setEnd(point[0], Math.min(point[1] + 1, point[0].data.length));
    var at = range.getBoundingClientRect();
    var box = text.getBoundingClientRect();
    text.scrollTop += at.top - box.top - text.clientTop - text.clientHeight / 3;
  }

  function onSelect() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    var range = sel.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    var a = offsetOf(range.startContainer, range.startOffset);
    var b = offsetOf(range.endContainer, range.endOffset);
    if (b <= a) return;
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

  showOffset();
  text.addEventListener("mouseup", onSelect);
  text.addEventListener("keyup", onSelect);  // caret browsing (F7): Shift + arrows
  quote.addEventListener("input", function () { start.value = ""; end.value = ""; });
})();
