// Pagefind's search box, served from this site (no other host). The index comes in shards:
// the hub's bundle sits beside pagefind-ui.js, and the search page lists the others'
// bundles in data-merge-bundles, to be merged into one list of results.
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  var bundles = (box.getAttribute("data-merge-bundles") || "").split(" ").filter(Boolean);
  new PagefindUI({
    element: "#search",
    showSubResults: true,
    showImages: false,
    mergeIndex: bundles.map(function (bundle) { return { bundlePath: bundle }; })
  });
});
