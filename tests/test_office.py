"""The LibreOffice harness of tests/office.py, on workbooks made here with openpyxl (independent of the form).

What these prove for the entry form: a value typed through LibreOffice lands as a user's would (numbers
as numbers, text as text), only where a user could type it (unlocked cells of a protected sheet),
formulas are recalculated and their results cached in the saved file, and the form's protection,
validation and conditional formatting survive a save by a real office suite. They also pin what
LibreOffice drops or changes, so the form does not rely on it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill, Protection
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from tests import office
from tests.conftest import REPO
from tests.office import FormFillError, OfficeError, convert_to_xlsx, fill_and_save, pdf_pages_to_png, to_pdf

pytestmark = pytest.mark.slow  # each case drives a real LibreOffice

SHEET = "表一"
LABEL = "政府信息公开工作年度报告"


def make_form(path: Path) -> Path:
    """A miniature entry form: protected sheet, two unlocked inputs, a total, validation, formatting."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws["B1"] = LABEL
    ws.merge_cells("B1:E1")
    ws["B2"] = "申请数"
    ws["B3"] = "合计"
    for ref in ("A1", "A2", "B5"):
        ws[ref].protection = Protection(locked=False)
    ws["A3"] = "=A1+A2"
    ws["A3"].number_format = "#,##0"
    whole = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2="1000000",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        error="请输入0到1000000的整数",
    )
    ws.add_data_validation(whole)
    whole.add("A1:A2")
    choice = DataValidation(type="list", formula1="lists!$A$1:$A$2", allow_blank=True)
    ws.add_data_validation(choice)
    choice.add("B5")
    ws.conditional_formatting.add(
        "A3", CellIsRule(operator="greaterThan", formula=["100"], fill=PatternFill("solid", bgColor="FFC7CE"))
    )
    ws["A3"].comment = Comment("自动计算", "xxgk")
    ws.column_dimensions["B"].width = 24
    ws.freeze_panes = "A2"
    ws.print_area = "A1:E5"
    ws.protection.sheet = True
    wb.defined_names["total"] = DefinedName("total", attr_text=f"'{SHEET}'!$A$3")
    lists = wb.create_sheet("lists")
    lists["A1"], lists["A2"] = "是", "否"
    lists.sheet_state = "hidden"
    secret = wb.create_sheet("secret")
    secret["A1"] = 42
    secret.sheet_state = "veryHidden"
    wb.security = WorkbookProtection(lockStructure=True)
    wb.save(path)
    return path


@pytest.fixture
def form(tmp_path: Path) -> Path:
    return make_form(tmp_path / "form.xlsx")


# --- without LibreOffice ---------------------------------------------------------------------------


def test_ci_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A missing LibreOffice skips locally, but fails in CI: a skip there would hide an untested form."""
    src = tmp_path / "x.xlsx"
    src.touch()
    monkeypatch.setattr(office, "soffice_available", lambda: False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        office.require_office()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="refusing to skip"):
        office.require_office()
    with pytest.raises(office.OfficeUnavailable, match="libreoffice-calc-nogui"):
        office.Office().fill_and_save(src, tmp_path / "y.xlsx", {})
    with pytest.raises(office.OfficeUnavailable, match="libreoffice-calc-nogui"):
        to_pdf(src, tmp_path)


def test_values_are_checked_before_libreoffice_starts(tmp_path: Path) -> None:
    src = tmp_path / "x.xlsx"
    src.touch()
    with pytest.raises(ValueError, match="one cell"):
        fill_and_save(src, tmp_path / "y.xlsx", {(SHEET, "A1:A2"): 1})
    with pytest.raises(TypeError, match="not an int, float or str"):
        fill_and_save(src, tmp_path / "y.xlsx", {(SHEET, "A1"): True})


def test_openpyxl_writes_no_cached_results(form: Path) -> None:
    """Why the round trip matters: a file from openpyxl has formulas but no results until an office suite saves it."""
    assert openpyxl.load_workbook(form, data_only=True)[SHEET]["A3"].value is None


# --- with LibreOffice -----------------------------------------------------------------------------


@office.needs_office
def test_fill_recalculates_and_keeps_the_form(form: Path, tmp_path: Path) -> None:
    out = tmp_path / "filled.xlsx"
    fill_and_save(form, out, {(SHEET, "A1"): 2, (SHEET, "A2"): 3})

    ws = openpyxl.load_workbook(out)[SHEET]
    assert (ws["A1"].value, ws["A2"].value) == (2, 3)
    assert ws["A3"].value == "=A1+A2"
    assert openpyxl.load_workbook(out, data_only=True)[SHEET]["A3"].value == 5
    assert ws["A3"].number_format == "#,##0"

    assert ws.protection.sheet
    assert not ws["A1"].protection.locked and not ws["A2"].protection.locked and not ws["B5"].protection.locked
    assert ws["A3"].protection.locked and ws["B1"].protection.locked

    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(rules) == {"A1:A2", "B5"}
    whole = rules["A1:A2"]
    assert (whole.type, whole.operator, whole.formula1, whole.formula2) == ("whole", "between", "0", "1000000")
    assert (whole.errorStyle, whole.showErrorMessage, whole.error) == ("stop", True, "请输入0到1000000的整数")
    assert (rules["B5"].type, rules["B5"].formula1) == ("list", "lists!$A$1:$A$2")

    cf = {str(fmt.sqref): fmt.rules for fmt in ws.conditional_formatting}
    assert list(cf) == ["A3"]
    (rule,) = cf["A3"]
    assert (rule.type, rule.operator, rule.formula) == ("cellIs", "greaterThan", ["100"])
    assert rule.dxf.fill.bgColor.rgb.endswith("FFC7CE")


@office.needs_office
def test_numbers_stay_numbers_and_text_stays_text(form: Path, tmp_path: Path) -> None:
    """Pasted (validate=False): A1 and A2 take whole numbers only, and would refuse 2.5 and the text "12"."""
    out = tmp_path / "filled.xlsx"
    fill_and_save(form, out, {(SHEET, "A1"): 2.5, (SHEET, "A2"): "12", (SHEET, "b5"): "是"}, validate=False)
    ws = openpyxl.load_workbook(out)[SHEET]
    assert ws["A1"].value == 2.5 and ws["A1"].data_type == "n"
    assert ws["A2"].value == "12" and ws["A2"].data_type == "s"
    assert ws["B5"].value == "是"
    # Numeric text in a sum: LibreOffice's default converts unambiguous text, as Excel and WPS do for =A1+A2.
    assert openpyxl.load_workbook(out, data_only=True)[SHEET]["A3"].value == 14.5


@office.needs_office
def test_a_locked_cell_is_refused(form: Path, tmp_path: Path) -> None:
    """UNO's setValue would write into a locked cell of a protected sheet; a user could not, so the harness refuses."""
    out = tmp_path / "filled.xlsx"
    with pytest.raises(FormFillError, match=r"表一!A3 is locked on a protected sheet"):
        fill_and_save(form, out, {(SHEET, "A1"): 1, (SHEET, "A3"): 7})
    assert not out.exists()
    with pytest.raises(FormFillError, match="inside a merged range"):
        fill_and_save(form, out, {(SHEET, "C1"): "x"})
    with pytest.raises(FormFillError, match="no sheet '表二'"):
        fill_and_save(form, out, {("表二", "A1"): 1})
    assert not out.exists()


@office.needs_office
def test_data_validation_stops_what_it_would_stop_a_user_typing(form: Path, tmp_path: Path) -> None:
    """LibreOffice's own rules decide (XCell.setValue alone would store anything): a stop alert refuses."""
    out = tmp_path / "filled.xlsx"
    for bad in (5_000_000, -1, 2.5, "abc"):
        with pytest.raises(FormFillError, match=r"refused by data validation.*表一!A2 .*请输入0到1000000的整数"):
            fill_and_save(form, out, {(SHEET, "A1"): 7, (SHEET, "A2"): bad})
    assert not out.exists()

    # The bounds are allowed. B5's list has no alert (openpyxl's default showErrorMessage=False): a user
    # may type anything there, though LibreOffice's check circles it as invalid.
    fill_and_save(form, out, {(SHEET, "A1"): 0, (SHEET, "A2"): 1_000_000, (SHEET, "B5"): "也许"})
    assert openpyxl.load_workbook(out)[SHEET]["B5"].value == "也许"
    drawings = [n for n in zipfile.ZipFile(out).namelist() if n.startswith("xl/drawings/drawing")]
    assert not drawings  # the check's circles are not saved with the file

    fill_and_save(form, out, {(SHEET, "A2"): 5_000_000}, validate=False)  # pasting skips validation
    assert openpyxl.load_workbook(out)[SHEET]["A2"].value == 5_000_000


@office.needs_office
def test_an_unreadable_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a zip archive" * 8)
    with pytest.raises(OfficeError, match="could not open"):
        fill_and_save(bad, tmp_path / "out.xlsx", {(SHEET, "A1"): 1})
    with pytest.raises(OfficeError, match="source file could not be loaded"):
        to_pdf(bad, tmp_path / "pdf")
    assert not (tmp_path / "out.xlsx").exists()


@office.needs_office
def test_unprotect_simulates_a_user_who_removed_protection(form: Path, tmp_path: Path) -> None:
    out = tmp_path / "filled.xlsx"
    fill_and_save(form, out, {(SHEET, "A1"): 1, (SHEET, "A3"): 7}, unprotect=True)
    ws = openpyxl.load_workbook(out)[SHEET]
    assert ws["A3"].value == 7
    assert not ws.protection.sheet


@office.needs_office
def test_what_libreoffice_keeps_and_drops(form: Path, tmp_path: Path) -> None:
    """What the form may rely on after an analyst saves it in LibreOffice (7.4, Debian 12).

    Kept: merged cells, hidden sheets, defined names, print area, comments, column widths. Changed:
    a "veryHidden" sheet comes back merely "hidden" (a user can unhide it). Dropped: workbook structure
    protection and frozen panes. If this test fails, LibreOffice changed; update the form's notes.
    """
    out = tmp_path / "filled.xlsx"
    fill_and_save(form, out, {(SHEET, "A1"): 1})
    wb = openpyxl.load_workbook(out)
    ws = wb[SHEET]
    assert [str(r) for r in ws.merged_cells.ranges] == ["B1:E1"]
    assert ws["B1"].value == LABEL
    assert wb["lists"].sheet_state == "hidden"
    assert wb.defined_names["total"].attr_text.replace("'", "") == f"{SHEET}!$A$3"
    assert ws.print_area.replace("'", "") == f"{SHEET}!$A$1:$E$5"
    assert ws["A3"].comment is not None and ws["A3"].comment.text.strip() == "自动计算"
    assert ws.column_dimensions["B"].width == pytest.approx(24, abs=0.5)

    assert wb["secret"].sheet_state == "hidden"  # was veryHidden
    assert not (wb.security and wb.security.lockStructure)  # was WorkbookProtection(lockStructure=True)
    assert ws.freeze_panes is None  # was "A2"


@office.needs_office
def test_convert_to_xlsx_round_trip(tmp_path: Path) -> None:
    """The command-line fallback: soffice --convert-to xlsx computes and caches results on the way."""
    src = make_form(tmp_path / "form.xlsx")
    wb = openpyxl.load_workbook(src)
    wb[SHEET]["A1"], wb[SHEET]["A2"] = 40, 2
    wb.save(src)
    out = convert_to_xlsx(src, tmp_path / "converted")
    assert out == tmp_path / "converted" / "form.xlsx"
    ws = openpyxl.load_workbook(out, data_only=True)[SHEET]
    assert ws["A3"].value == 42
    assert ws.protection.sheet and not ws["A1"].protection.locked
    with pytest.raises(ValueError, match="overwrite the source"):
        convert_to_xlsx(out, out.parent)


@office.needs_office
def test_pdf_prints_chinese_and_renders_to_png(form: Path, tmp_path: Path) -> None:
    """What an analyst prints: the Chinese label in a real CJK font, the total recalculated and formatted."""
    filled = tmp_path / "填报表 2025.xlsx"  # analysts name files in Chinese, with spaces
    fill_and_save(form, filled, {(SHEET, "A1"): 1234, (SHEET, "A2"): 1})
    pdf = to_pdf(filled, tmp_path / "pdf")
    assert pdf == tmp_path / "pdf" / "填报表 2025.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert LABEL in text and "1,235" in text  # the label, and the recalculated, formatted total
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts, fonts  # glyphs from Noto CJK, embedded, not tofu boxes

    pages = pdf_pages_to_png(pdf, tmp_path / "png", dpi=60)
    assert pages and pages[0].name == "填报表 2025-1.png"
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pages)


# --- robustness: its own LibreOffice, so as not to disturb the shared one --------------------------


@pytest.mark.slow
@office.needs_office
def test_a_dead_soffice_is_reported_then_replaced(form: Path, tmp_path: Path) -> None:
    """A crash or a hang costs one call, not the session: the next call starts a fresh LibreOffice."""
    with office.Office() as lo:
        lo.fill_and_save(form, tmp_path / "a.xlsx", {(SHEET, "A1"): 1})
        pid = lo._soffice_pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        with pytest.raises(OfficeError) as err:
            lo.fill_and_save(form, tmp_path / "b.xlsx", {(SHEET, "A1"): 2})
        assert "soffice output" in str(err.value)  # LibreOffice's own output comes with the error
        assert not lo.running
        lo.fill_and_save(form, tmp_path / "c.xlsx", {(SHEET, "A1"): 3})  # a fresh LibreOffice
        assert openpyxl.load_workbook(tmp_path / "c.xlsx")[SHEET]["A1"].value == 3

        lo.call_timeout = 0.001  # a hung LibreOffice: killed, reported
        with pytest.raises(OfficeError, match="timed out"):
            lo.fill_and_save(form, tmp_path / "d.xlsx", {(SHEET, "A1"): 4})
        assert not lo.running and not (tmp_path / "d.xlsx").exists()
        lo.call_timeout = 60
        lo.fill_and_save(form, tmp_path / "d.xlsx", {(SHEET, "A1"): 4})
        assert lo._proc is not None and lo._soffice_pid is not None and lo._dir is not None
        groups, private = [lo._proc.pid, lo._soffice_pid], lo._dir
    assert not any(office._group_members(g) for g in groups)
    assert not private.exists()


@pytest.mark.slow
@office.needs_office
def test_no_soffice_outlives_a_killed_test_process(form: Path, tmp_path: Path) -> None:
    """pytest killed by SIGKILL (a CI timeout): its LibreOffice must not stay behind."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from tests import office
        lo = office.Office()
        lo.fill_and_save(Path({str(form)!r}), Path({str(tmp_path / "x.xlsx")!r}), {{}})
        print(lo._proc.pid, lo._soffice_pid, lo._dir, lo._pipe_name, flush=True)
        time.sleep(600)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        driver, soffice, private, pipe_name = child.stdout.readline().split()
        assert office._group_members(int(soffice))
    finally:
        child.kill()
        child.wait()

    def left() -> list[object]:
        sockets = office.osl_pipes((Path(private) / "profile").as_uri(), pipe_name)
        groups = [g for g in (int(driver), int(soffice)) if office._group_members(g)]
        return [*groups, *(p for p in [Path(private), *sockets] if p.exists())]

    deadline = time.monotonic() + 20
    while left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left()  # no process, no private folder, no socket in /tmp
