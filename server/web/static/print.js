/* The monthly report's print button (a script file: the pages' policy allows no inline one). */
"use strict";
document.getElementById("print").addEventListener("click", function () { window.print(); });
