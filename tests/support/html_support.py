"""Reading the public HTML pages in tests with the standard library's parser."""

from html.parser import HTMLParser


class PageReader(HTMLParser):
    """The page's `lang`, title, caption, column headers (with scope) and table rows: each
    row a list of cells, each cell (text, href of its link or None)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.caption = ""
        self.headers: list[tuple[str, str | None]] = []
        self.rows: list[list[tuple[str, str | None]]] = []
        self._open: list[str] = []
        self._href: str | None = None
        self._scope: str | None = None
        self._text = ""
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self._open.append(tag)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "tr" and "tbody" in self._open:
            self.rows.append([])
        elif tag in ("td", "th"):
            self._text, self._href, self._scope = "", None, attributes.get("scope")
        elif tag == "a":
            self._href = attributes.get("href")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()
        if tag == "td" and self.rows:
            self.rows[-1].append((self._text.strip(), self._href))
        elif tag == "th":
            self.headers.append((self._text.strip(), self._scope))

    def handle_data(self, data: str) -> None:
        if "title" in self._open:
            self.title += data
        elif "caption" in self._open:
            self.caption += data
        elif "td" in self._open or "th" in self._open:
            self._text += data
