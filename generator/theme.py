"""Where the default theme lives: the templates and static files every briefing starts from.

The repository keeps the theme in its top-level `templates/`; the wheel carries that
folder inside the package, as `generator/templates/` (hatch's `force-include` in
pyproject.toml), so that an installed `briefing` builds a project that has no templates
of its own. A project's `templates_dir` (config.yaml) holds its overrides: a template or
static file there replaces the theme's file of the same name, and the rest still comes
from the theme (`generator.render.make_environment` and `static_files`).

Only the standard library here: the build cache reads the theme's location to cover its
files in the code digest, before the pipeline's modules are imported.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: The theme of an installed wheel, inside the package (the build cache's code digest covers it).
PACKAGED_THEME = PACKAGE / "templates"
#: The theme of a checkout of the repository (or an editable install): its top-level templates/.
CHECKOUT_THEME = PACKAGE.parent / "templates"
#: The default theme of this installation.
THEME = PACKAGED_THEME if PACKAGED_THEME.is_dir() else CHECKOUT_THEME
