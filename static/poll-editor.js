/* The poll editor: reorder options by dragging a row by its handle (only the handle is
 * draggable, so selecting text in the inputs still works; the ↑/↓ buttons stay for the
 * keyboard and for browsers without JavaScript). The order of the rows' hidden "row"
 * inputs is the order the server saves, so moving the element is all a drag must do;
 * a "change" event then refreshes the live preview like any other edit. */
(function () {
  "use strict";

  var dragged = null;

  function rowOf(target) {
    return target && target.closest ? target.closest(".option-rows > .option-row") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var handle = event.target.closest ? event.target.closest(".drag-handle") : null;
    var row = rowOf(handle);
    if (!row) return;
    dragged = row;
    row.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "");
    event.dataTransfer.setDragImage(row, 10, 10);
  });

  document.addEventListener("dragover", function (event) {
    var row = rowOf(event.target);
    if (!dragged || !row || row.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    if (row === dragged) return;
    var box = row.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    row.parentNode.insertBefore(dragged, after ? row.nextSibling : row);
  });

  document.addEventListener("drop", function (event) {
    if (dragged && rowOf(event.target)) event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    var form = dragged.closest("form");
    dragged = null;
    if (form) form.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
