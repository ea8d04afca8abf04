"""Live preview: watch the project, rebuild on save, and reload the browser.

`watch` turns file-system events into debounced change sets, `preview` rebuilds and
tells the browser, `server` serves the output directory with the reload script. The
build never imports this package.
"""
