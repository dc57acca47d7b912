// Pagefind's search box, served from this site (no other host).
window.addEventListener("DOMContentLoaded", function () {
  new PagefindUI({ element: "#search", showSubResults: true, showImages: false });
});
