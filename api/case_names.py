"""Names for what the workflows record by code: units and schools (长安区教育局, not 130102)
and staff members (their display names), looked up in the store once per answer."""

import re

from sqlmodel import Session, col, select

from store.models import School, StaffUser, Unit

# A unit (6 digits) or school (10 digits) code standing alone in a timeline text.
_CODE = re.compile(r"(?<!\d)(\d{10}|\d{6})(?!\d)")


class Names:
    """Looks up and remembers the names one answer needs."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._units: dict[str, str] = {}
        self._people: dict[str, str] = {}

    def unit(self, code: str) -> str:
        """The unit's or school's name; the code itself when the tree does not hold it."""
        if not code:
            return ""
        if code not in self._units:
            found = self._session.get(Unit, code) or self._session.get(School, code)
            self._units[code] = found.name if found else code
        return self._units[code]

    def text(self, text: str) -> str:
        """`text` with every code of a unit or school the tree holds replaced by its name."""
        return _CODE.sub(lambda match: self.unit(match.group(1)), text)

    def display(self, username: str) -> str:
        """The person's display name alone (a printed form has room for no more)."""
        return self.person(username).partition("（")[0]

    def person(self, username: str) -> str:
        """ "张三（sjz.handler）", or the username alone when the account has no display name
        (or is gone)."""
        if not username:
            return ""
        if username not in self._people:
            self._people[username] = username
            query = select(StaffUser.display_name).where(col(StaffUser.username) == username)
            display = self._session.exec(query).first()
            if display and display != username:
                self._people[username] = f"{display}（{username}）"
        return self._people[username]
