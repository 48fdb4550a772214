"""Words: the one translation function every string a person reads goes through.

English only for now; gettext catalogues (English, French, Arabic) are loaded here.
"""

from __future__ import annotations

from typing import Any


def _(text: str, **values: Any) -> str:
    """The text in the reader's language, with `values` filled in."""
    return text.format(**values) if values else text
