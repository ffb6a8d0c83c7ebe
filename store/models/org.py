"""The organisation tree (units and schools), its imports, and the units' FAQ entries."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from store.models.columns import at_


class UnitBase(SQLModel):
    name: str
    level: str = Field(max_length=16)
    parent_code: str | None = Field(default=None, max_length=6, index=True)
    phone: str = ""
    email: str = ""


class Unit(UnitBase, table=True):
    """An education bureau (教育行政部门) of the organisation tree."""

    __tablename__ = "org_unit"
    code: str = Field(primary_key=True, max_length=6)
    # When an administrator last saved (or re-confirmed) the public phone and e-mail.
    contact_confirmed_at: datetime | None = at_(nullable=True)


class SchoolBase(SQLModel):
    name: str
    unit_code: str = Field(max_length=6, index=True)


class School(SchoolBase, table=True):
    """A school (学校) with its supervising unit (直接教育行政主管部门)."""

    __tablename__ = "org_school"
    code: str = Field(primary_key=True, max_length=10)


class OrgImport(SQLModel, table=True):
    """One replacement of the stored tree (组织机构树导入): the processes that keep the tree in
    memory reload it when a newer one appears, so even a school that was only renamed is seen."""

    __tablename__ = "org_import"
    id: int | None = Field(default=None, primary_key=True)
    imported_at: datetime | None = at_(nullable=True)  # None: the demo tree of `make run`
    units: int
    schools: int


class OrgImportDraft(SQLModel, table=True):
    """A new tree uploaded in the console and checked, waiting to be applied after its preview
    (导入预览): kept in the store so any API process can apply it; deleted when applied."""

    __tablename__ = "org_import_draft"
    id: str = Field(primary_key=True, max_length=32)
    created_by: str = Field(max_length=32)
    created_at: datetime = at_()
    units_file: str = Field(max_length=255)
    schools_file: str = Field(max_length=255)
    # The checked records as zlib-compressed JSON {"units": [...], "schools": [...]}.
    records: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Faq(SQLModel, table=True):
    """A question and its answer (常见问题解答) that a unit publishes for the public."""

    __tablename__ = "faq"
    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(foreign_key="org_unit.code", max_length=6, index=True)
    question: str = Field(max_length=200)
    answer: str = Field(max_length=4000)
    created_by: str = Field(max_length=32)
    created_at: datetime = at_()
    updated_at: datetime = at_()
    published: bool = False
