// Reader helpers: the search box (Pagefind), its keyboard shortcut, and citation previews.
// Everything here is an enhancement: without JavaScript every link still works.
(() => {
  "use strict";

  // -- search: Pagefind's UI in the header; "/" focuses it from anywhere ---------------
  const box = document.getElementById("search");
  if (box && typeof PagefindUI === "function") {
    new PagefindUI({
      element: box,
      showSubResults: true,
      showImages: false,
      resetStyles: false,
      translations: { placeholder: "Search the briefing ( / )" },
    });
    // Pagefind labels its form, not its input: name the input for screen readers.
    const input = box.querySelector("input");
    if (input) input.setAttribute("aria-label", "Search the briefing");
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    const input = document.querySelector("#search input");
    if (!input) return;
    event.preventDefault();
    input.focus();
  });

  // -- citation previews: the quoted passage and its source, on hover, focus or tap ----
  const preview = document.createElement("div");
  preview.id = "citation-preview";
  preview.className = "citation-preview";
  preview.setAttribute("role", "tooltip");
  preview.hidden = true;
  const quote = document.createElement("q");
  const source = document.createElement("a");
  source.className = "citation-preview-source";
  preview.append(quote, document.createElement("br"), source);
  document.body.append(preview);
  let current = null;

  function show(link) {
    current = link;
    quote.textContent = link.dataset.quote;
    source.textContent = `${link.dataset.source} — open the passage`;
    source.href = link.href;
    preview.hidden = false;
    link.setAttribute("aria-describedby", preview.id);
    const mark = link.getBoundingClientRect();
    const width = Math.min(384, document.documentElement.clientWidth - 16);
    preview.style.width = `${width}px`;
    const left = Math.max(8, Math.min(mark.left + window.scrollX - width / 2, window.scrollX + document.documentElement.clientWidth - width - 8));
    preview.style.left = `${left}px`;
    preview.style.top = `${mark.bottom + window.scrollY + 6}px`;
  }

  function hide() {
    if (current) current.removeAttribute("aria-describedby");
    current = null;
    preview.hidden = true;
  }

  const links = document.querySelectorAll("sup.cite a[data-quote]");
  for (const link of links) {
    link.addEventListener("mouseenter", () => show(link));
    link.addEventListener("focus", () => show(link));
    link.addEventListener("mouseleave", (event) => {
      if (!preview.contains(event.relatedTarget)) hide();
    });
    link.addEventListener("blur", (event) => {
      if (!preview.contains(event.relatedTarget)) hide();
    });
    // On touch screens the first tap shows the preview; its link opens the passage.
    link.addEventListener("touchend", (event) => {
      if (current !== link) {
        event.preventDefault();
        show(link);
      }
    });
  }
  preview.addEventListener("mouseleave", hide);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });
  document.addEventListener("click", (event) => {
    if (current && !preview.contains(event.target) && !current.contains(event.target)) hide();
  });
})();
