"""The only place URLs are made.

Pages live at pretty paths (`summits/hanoi-2019/`) and every internal link is relative
to the page that holds it, so the site works at `/`, under a sub-path and from disk.
`base_url` is used only where a URL must be absolute.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

#: The folder of each page kind; the index of a kind is the folder itself.
SECTIONS = {"summit": "summits", "proposal": "proposals", "stakeholder": "stakeholders", "source": "sources"}
HOME = ""
ASSETS = "static/"


def page_path(kind: str, ident: str | None = None) -> str:
    """Site-relative path of a page, '' for the home page; always ends in '/' otherwise."""
    section = SECTIONS[kind]
    return f"{section}/{ident}/" if ident else f"{section}/"


def output_file(path: str) -> str:
    """The file that serves a page path."""
    return f"{path}index.html" if path == "" or path.endswith("/") else path


def href(from_path: str, to_path: str, fragment: str = "", directory_urls: bool = True) -> str:
    """A relative link from the page at `from_path` to `to_path` (both site-relative).

    With `directory_urls` off, links name `index.html` explicitly, for reading from disk.
    """
    target = to_path if directory_urls else output_file(to_path)
    if from_path.endswith("/") and target.endswith("/") and from_path.count("/") == 2:
        # An entity page (`kind/id/`) linking a page: the common case, made quick.
        if target.startswith(from_path):
            relative = target[len(from_path) :]
        elif target.startswith(from_path[: from_path.index("/") + 1]):
            relative = "../" + target[from_path.index("/") + 1 :]
        else:
            relative = "../../" + target
        return (relative or "./") + (f"#{fragment}" if fragment else "")
    here = output_file(from_path).split("/")[:-1]  # the folder holding the page's file
    there = target.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    relative = "../" * (len(here) - common) + "/".join(there[common:])
    return (relative or "./") + (f"#{fragment}" if fragment else "")


def absolute_url(base_url: str, path: str) -> str:
    """`path` under the published base URL, for canonical links, feeds and sitemaps."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return base + path


def base_path(base_url: str) -> str:
    """The path part of the base URL ('/repo/'), for pages served at any depth (404)."""
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def text_fragment(quote_text: str, max_words: int = 8) -> str:
    """A `:~:text=` directive that highlights `quote_text` in browsers that support it.

    A quote from a table row spans cells (written `a | b`): the start and the end of
    the highlight are then taken from the first and last cell, as the page shows them.
    """
    cells = [cell.split() for cell in quote_text.split(" | ") if cell.strip()]
    words = [word for cell in cells for word in cell]
    if len(cells) <= 1 and len(words) <= max_words:
        return ":~:text=" + _encode(" ".join(words))
    half = max_words // 2
    start = cells[0][:half]
    end = cells[-1][-half:] if len(cells) > 1 else words[-half:]
    return f":~:text={_encode(' '.join(start))},{_encode(' '.join(end))}"


def _encode(part: str) -> str:
    # '-', ',' and '&' have a meaning inside the directive: always percent-encode them.
    return quote(part, safe="").replace("-", "%2D")
