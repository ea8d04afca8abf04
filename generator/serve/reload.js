// Live reload for `briefing serve`: injected into served pages only, never written to site/.
(() => {
  "use strict";
  const script = document.currentScript;
  let build = Number(script.dataset.build);
  const page = script.dataset.page;
  let css = Number(script.dataset.css);
  const scrollKey = "briefing-scroll:" + location.pathname;

  // A reload keeps the reader where they were.
  const saved = sessionStorage.getItem(scrollKey);
  if (saved !== null) {
    sessionStorage.removeItem(scrollKey);
    const [x, y] = JSON.parse(saved);
    const restore = () => window.scrollTo(x, y);
    if (document.readyState === "complete") restore();
    else window.addEventListener("load", restore, { once: true });
  }

  function reload() {
    sessionStorage.setItem(scrollKey, JSON.stringify([window.scrollX, window.scrollY]));
    location.reload();
  }

  function swapStylesheets(version) {
    css = version;
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("v", String(version));
      const fresh = link.cloneNode();
      fresh.href = url.href;
      fresh.addEventListener("load", () => link.remove(), { once: true });
      link.after(fresh);
    }
  }

  function showFailure(report) {
    let overlay = document.getElementById("briefing-error-overlay");
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "briefing-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,20,.94);" +
        "color:#fff;padding:2rem;font:14px/1.5 ui-monospace,monospace";
      const title = document.createElement("p");
      title.style.cssText = "font-weight:bold;color:#ff8a80;margin:0 0 1rem";
      title.textContent =
        "briefing: the last build failed; showing the last good site underneath. " +
        "Fix the problems and save: this clears itself.";
      const pre = document.createElement("pre");
      pre.style.cssText = "white-space:pre-wrap;margin:0";
      overlay.append(title, pre);
      document.body.append(overlay);
    }
    overlay.querySelector("pre").textContent = report;
  }

  function clearFailure() {
    const overlay = document.getElementById("briefing-error-overlay");
    if (overlay) overlay.remove();
  }

  const events = new EventSource("/__briefing/events");
  events.addEventListener("hello", (event) => {
    const state = JSON.parse(event.data);
    // A build finished while this page was loading: fetch it now.
    if (state.build !== build) return reload();
    if (state.css !== css) swapStylesheets(state.css);
    if (state.error) showFailure(state.error);
    else clearFailure();
  });
  events.addEventListener("reload", (event) => {
    const data = JSON.parse(event.data);
    build = data.build;
    // Reload only when this page changed (an empty list means every page may have).
    if (!data.pages.length || data.pages.includes(page)) reload();
  });
  events.addEventListener("css", (event) => swapStylesheets(JSON.parse(event.data).css));
  events.addEventListener("failure", (event) => showFailure(JSON.parse(event.data).report));
  events.addEventListener("ok", clearFailure);
})();
