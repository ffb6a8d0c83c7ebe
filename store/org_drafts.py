"""New trees uploaded in the console, checked and kept until they are applied (or a day old):
the console previews one, then applies that one, whichever API process serves each request."""

import json
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete

from domain.orgtree import OrgTree
from store.models import OrgImportDraft

KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Draft:
    id: str
    tree: OrgTree
    units_file: str
    schools_file: str


def save_draft(
    *,
    session: Session,
    tree: OrgTree,
    created_by: str,
    units_file: str,
    schools_file: str,
    now: datetime,
) -> str:
    """Keep a checked tree for `created_by` to apply; returns its id. Drafts a day old go."""
    session.exec(delete(OrgImportDraft).where(col(OrgImportDraft.created_at) < now - KEPT))  # type: ignore[call-overload]
    units = [
        {
            "code": u.code,
            "name": u.name,
            "level": u.level.value,
            "parent_code": u.parent_code or "",
            "phone": u.phone,
            "email": u.email,
        }
        for u in tree.units()
    ]
    schools = [{"code": s.code, "name": s.name, "unit_code": s.parent_code} for s in tree.schools()]
    records = zlib.compress(json.dumps({"units": units, "schools": schools}).encode())
    draft_id = secrets.token_hex(16)
    session.add(
        OrgImportDraft(
            id=draft_id,
            created_by=created_by,
            created_at=now,
            units_file=units_file[:255],
            schools_file=schools_file[:255],
            records=records,
        )
    )
    return draft_id


def load_draft(*, session: Session, draft_id: str, created_by: str, now: datetime) -> Draft | None:
    """The draft `created_by` saved, unless it is unknown, someone else's or a day old."""
    row = session.get(OrgImportDraft, draft_id)
    if row is None or row.created_by != created_by or row.created_at < now - KEPT:
        return None
    records = json.loads(zlib.decompress(row.records))
    tree = OrgTree.from_records(records["units"], records["schools"])
    return Draft(row.id, tree, row.units_file, row.schools_file)


def drop_draft(*, session: Session, draft_id: str) -> None:
    session.exec(delete(OrgImportDraft).where(col(OrgImportDraft.id) == draft_id))  # type: ignore[call-overload]
