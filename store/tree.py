"""The organisation tree as every process reads it: from the store, reloaded when it changes;
and the few rows of it one transaction needs (`TreeRows`)."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import BigInteger, Engine, cast, func
from sqlmodel import Session, col, select

from domain.orgtree import OrgTree
from store.models import OrgImport, School, Unit

RELOAD_CHECK_SECONDS = 10.0


class StoreTree:
    """The stored tree, loaded once and reloaded when its rows change (checked every 10 s).

    The check compares the newest import of the tree (every import, however small its change:
    a school only renamed), row counts, the extreme codes and the sums of the parent codes (one
    aggregate query a table), and a digest of every unit's name and contacts (a few thousand
    short rows), so a unit renamed or given a new complaint phone outside an import (a
    campaign's report, the admin API; a referral gives the phone to the caller) is seen within
    the check interval too.
    """

    def __init__(self, engine: Engine, *, recheck_seconds: float = RELOAD_CHECK_SECONDS) -> None:
        self._engine = engine
        self._recheck_seconds = recheck_seconds
        self._tree: OrgTree | None = None
        self._signature: tuple[object, ...] = ()
        self._checked = 0.0

    def __call__(self) -> OrgTree:
        if self._tree is not None and time.monotonic() - self._checked < self._recheck_seconds:
            return self._tree
        with Session(self._engine) as session:
            signature = self._current_signature(session)
            if self._tree is None or signature != self._signature:
                units = [u.model_dump() for u in session.exec(select(Unit))]
                schools = [s.model_dump() for s in session.exec(select(School))]
                for unit in units:
                    unit["parent_code"] = unit["parent_code"] or ""
                self._tree = OrgTree.from_records(units, schools)
                self._signature = signature
        self._checked = time.monotonic()
        return self._tree

    @staticmethod
    def _current_signature(session: Session) -> tuple[object, ...]:
        signature: list[object] = [session.exec(select(func.max(OrgImport.id))).one()]
        for code, parent in ((Unit.code, Unit.parent_code), (School.code, School.unit_code)):
            moved = func.sum(cast(parent, BigInteger))  # codes are digits; NULL (root) is skipped
            row = session.exec(select(func.count(), func.min(code), func.max(code), moved)).one()
            signature.extend(row)
        digest = hashlib.sha256()
        units = select(Unit.code, Unit.name, Unit.phone, Unit.email)
        for fields in session.exec(units.order_by(col(Unit.code))):
            digest.update("\x1f".join(fields).encode() + b"\x1e")
        signature.append(digest.hexdigest())
        return tuple(signature)


_HELD = "xueji.tree_rows"  # session.info: (the transaction, its TreeRows)


class TreeRows:
    """Bureaus and schools of the stored tree as one transaction reads them: each row by its
    code, at most once.

    A case's record asks for the same few paths several times (the access rule, each notice's
    recipients, the oversight summaries before and after), and the session forgets a row as
    soon as nothing holds it, so each ask was a query again: this holds them for the record.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._units: dict[str, Unit | None] = {}
        self._schools: dict[str, School | None] = {}

    @classmethod
    def of(cls, session: Session) -> TreeRows:
        """The rows the session's transaction holds: records written together in one
        transaction (activities/store.py) ask for the same upper levels, read once for all."""
        transaction = session.get_transaction()
        held = session.info.get(_HELD)
        if held is None or held[0] is not transaction:
            held = session.info[_HELD] = (transaction, cls(session))
        rows: TreeRows = held[1]
        return rows

    def unit(self, code: str) -> Unit | None:
        if code not in self._units:
            self._units[code] = self._session.get(Unit, code) if code else None
        return self._units[code]

    def school(self, code: str) -> School | None:
        if code not in self._schools:
            self._schools[code] = self._session.get(School, code)
        return self._schools[code]

    def chain(self, code: str) -> list[str]:
        """Root-to-bureau codes of `code`; empty when the tree does not know it."""
        path: list[str] = []
        current = self.unit(code)
        while current is not None and current.code not in path:
            path.insert(0, current.code)
            current = self.unit(current.parent_code) if current.parent_code else None
        return path

    def path(self, code: str) -> list[str]:
        """Root-to-bureau codes of `code`; [code] when the tree does not know it."""
        return self.chain(code) or [code]
