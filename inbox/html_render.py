"""HTML mail parts rendered to readable plain text with selectolax (lexbor): blocks become line
breaks, list items stay one per line, link text is kept; scripts, styles and the head are dropped.

Chosen by measurement on the corpora's 78 HTML parts: 0.09 ms a part against 0.16 ms for
html-text (which also keeps the ``<title>``) and 0.50 ms for inscriptis.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

# Bigger HTML is almost always inline images or tracking markup; the text is near the top.
MAX_HTML_CHARS = 2_000_000

_DROP = ["script", "style", "head", "title", "template", "object", "embed", "iframe", "svg"]
# Private-use characters mark the breaks we insert, so that the source's own newlines (which
# HTML treats as spaces) can be collapsed without losing ours.
_NL = "\ue000"
_PARA = "\ue001"
_LINE_TAGS = (
    "div,li,tr,dt,dd,header,footer,section,article,nav,aside,address,figure,figcaption,"
    "form,fieldset,center,caption"
)
_PARA_TAGS = "p,h1,h2,h3,h4,h5,h6,blockquote,ul,ol,dl,table,hr"
_SPACES = re.compile(r"\s+")
_BREAKS = re.compile(rf"[ {_NL}{_PARA}]*[{_NL}{_PARA}][ {_NL}{_PARA}]*")


def html_to_text(html: str) -> str:
    """The readable text of ``html`` (a whole document or a fragment); never raises."""
    html = html[:MAX_HTML_CHARS]
    if _NL in html or _PARA in html:
        html = html.replace(_NL, " ").replace(_PARA, " ")
    tree = LexborHTMLParser(html)
    tree.strip_tags(_DROP)
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in root.css("pre"):
        # Preformatted text keeps its own line breaks.
        node.replace_with(_PARA + (node.text(deep=True) or "").replace("\n", _NL) + _PARA)
    for node in root.css("br"):
        node.insert_after(_NL)
    for node in root.css(_LINE_TAGS):
        node.insert_before(_NL)
        if node.tag == "li":
            node.insert_before("- ")
        node.insert_after(_NL)
    for node in root.css("td,th"):
        node.insert_after(" ")
    for node in root.css(_PARA_TAGS):
        node.insert_before(_PARA)
        node.insert_after(_PARA)
    text = root.text(deep=True, separator="", strip=False)
    text = _SPACES.sub(" ", text)
    return _BREAKS.sub(_break, text).strip()


def _break(match: re.Match[str]) -> str:
    # A run of break marks (and the spaces around them) becomes the strongest break in it.
    return "\n\n" if _PARA in match.group() else "\n"
