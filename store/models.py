"""SQLModel tables of the store. Every change here comes with an Alembic migration."""

from sqlmodel import Field, SQLModel


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


class SchoolBase(SQLModel):
    name: str
    unit_code: str = Field(max_length=6, index=True)


class School(SchoolBase, table=True):
    """A school (学校) with its supervising unit (直接教育行政主管部门)."""

    __tablename__ = "org_school"
    code: str = Field(primary_key=True, max_length=10)
