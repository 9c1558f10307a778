"""The failure of a fetch that is not bad input: the source answered badly or not at all
(HTTP errors after the retries, a timeout, a payload over the size cap, a refused SQL
statement). One line, naming the feed's field at fault; the CLI exits 2 with it, the
Feeds page shows it as the feed's last error. A refused URL (allowlist, address, scheme)
is a ``ValidationError`` on the field ``url`` instead: the definition is at fault."""

from __future__ import annotations


class FetchError(Exception):
    """A fetch failed; ``field`` is the definition field it concerns (``url``, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
