"""What every workbook the system writes shares: nothing people typed becomes a formula."""

from openpyxl.worksheet.worksheet import Worksheet


def no_formulas(sheet: Worksheet) -> None:
    """Every cell of the sheet written as text, never as a formula: openpyxl takes a string
    starting with "=" for one (a name like =HYPERLINK(...) would run when the file is opened)."""
    for line in sheet.iter_rows():
        for cell in line:
            if cell.data_type == "f":
                cell.data_type = "s"
