"""User-supplied text shown literally: never interpreted as markdown, HTML, LaTeX or icons.

Streamlit renders markdown in `st.markdown`, `st.caption`, alerts, titles, widget labels, help
tooltips, radio and segmented-control options, and more. IDs, titles, filter names and URL
values come from users and shared links, so `?user=**B0LD** [x](https://evil.example)` must show
those characters, not bold text and a live link. `md` backslash-escapes (CommonMark escapes)
every character that can start inline markup (emphasis, code, links and images, raw HTML and
entities, LaTeX, `:red[...]` directives, `:material/...:` icons) and list/heading/quote markers
at the start; line breaks become spaces so text cannot open a block. GFM's bare autolinks
(`https://...`, `www....`, `a@b.c`) are found in the text *after* escapes are resolved, so no
escape stops them: an invisible WORD JOINER (U+2060) goes inside `://`, after `www` and before
`@`, which breaks the pattern and shows nothing (a browser test checks that no link appears). Characters that cannot start markup (`-` `.` `:` `/` in IDs and ARNs)
are left alone, so the markdown source still reads as the text. (Emoji shortcodes such as
`:smile:` are left: they fetch nothing and link nowhere.)
"""

from __future__ import annotations

import html
import re

_ALWAYS = re.compile(r"([\\`*_{}\[\]<>#!|~$&])")
_ICON = re.compile(r":(?=material/)", re.IGNORECASE)
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
JOINER = "\u2060"  # WORD JOINER: invisible, and not part of any URL or e-mail pattern
_BLOCK_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")
_BREAKS = re.compile(r"[\r\n\u2028\u2029\v\f]+")


def md(text: object) -> str:
    """`text` as markdown that renders exactly those characters."""
    value = _ALWAYS.sub(r"\\\1", _BREAKS.sub(" ", str(text)))
    value = _ICON.sub(r"\\:", value)
    value = _AUTOLINK.sub(JOINER, value)
    match = _BLOCK_START.match(value)
    if match:
        marker = match.group(2)
        if marker[0].isdigit():  # "1." or "1)" would start an ordered list: escape the dot
            end = match.end()
            value = value[:end] + "\\" + value[end:]
        else:
            value = value[:match.start(2)] + "\\" + value[match.start(2):]
    return value


def code(text: object) -> str:
    """`text` as inline code (a literal span): backticks inside cannot close it."""
    value = _BREAKS.sub(" ", str(text))
    fence = "`" * (max((len(m) for m in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def plot(text: object) -> str:
    """`text` for a plotly label, hover text, legend or annotation, which plotly reads as a
    subset of HTML (`<a href>`, `<b>`, `<br>`...): escaped, so it shows those characters."""
    return html.escape(str(text), quote=True)
