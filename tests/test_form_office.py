"""The entry form in a real office suite: filled in LibreOffice as an analyst would, saved, imported.

What the analyst and the 政务公开办 rely on: LibreOffice accepts the values the form's validation
allows (and stops the ones it does not), recalculates the 总计 formulas and caches them in the
saved file, the cached totals are the ones xxgk computes itself, a broken identity shows on the
sheet (status line, check row) and is found by ``xxgk check`` after the import, and a form that
LibreOffice merely opened and saved again imports as unchanged. The printed sheets are made into
PNGs so a person can look at them (``XXGK_SCREENSHOTS=DIR`` keeps them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from tests import office
from tests.conftest import small_params, tree_digest
from xxgk.data import tree
from xxgk.exchange import form
from xxgk.exchange.form import layout

pytestmark = [office.needs_office, pytest.mark.slow]

AGENCY = "qingshan-county-education"


def _form(params: Path, year: int, tmp_path: Path) -> tuple[Path, layout.TableSheet]:
    [path] = form.write_forms(params, year, [AGENCY], tmp_path / "sent")
    version = form.make_form(params, AGENCY, year).version
    t3 = next(s for s in layout.table_sheets(version) if s.table == "t3")
    return path, t3


def _cell(params: Path, year: int, table: str, row: str, column: str) -> object:
    agency = tree.read_agency(tree.agency_dir(params, AGENCY))
    return tree.read_year(tree.year_path(params, AGENCY, year), agency).tables[table][row][column]


def test_filled_in_libreoffice_imports_with_its_cached_totals_equal_to_ours(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {AGENCY: [2023, 2024]})
    sent, t3 = _form(params, 2024, tmp_path)
    new, forward = t3.at(("new", "natural")), t3.at(("carried_forward", "natural"))
    before = _cell(params, 2024, "t3", "new", "natural")
    forward_before = _cell(params, 2024, "t3", "carried_forward", "natural")
    assert isinstance(before, int) and isinstance(forward_before, int)
    back = tmp_path / "back" / sent.name
    back.parent.mkdir()
    # One more application received and still pending: S1 keeps holding.
    office.fill_and_save(sent, back, {(t3.name, new): before + 1, (t3.name, forward): forward_before + 1})

    cached = openpyxl.load_workbook(back, data_only=True)[t3.name]
    total_new = t3.at(("new", "total"))
    assert isinstance(cached[total_new].value, int | float)
    assert str(cached["A3"].value).startswith("✓")  # the status line LibreOffice computed
    code, _, err = run_cli("import", "--params", params, back)
    assert code == 0, err
    assert "更新 " in err and "更新 1 个" in err
    assert _cell(params, 2024, "t3", "new", "natural") == before + 1
    assert _cell(params, 2024, "t3", "new", "total") == cached[total_new].value  # xxgk's sum = LibreOffice's
    results_total = t3.at(("total", "total"))
    assert _cell(params, 2024, "t3", "total", "total") == cached[results_total].value
    code, out, _ = run_cli("check", "--params", params)
    assert code == 0, out


def test_a_broken_identity_shows_red_in_the_sheet_and_is_found_after_import(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {AGENCY: [2024]})
    sent, t3 = _form(params, 2024, tmp_path)
    new = t3.at(("new", "natural"))
    before = _cell(params, 2024, "t3", "new", "natural")
    assert isinstance(before, int)
    back = tmp_path / sent.name
    office.fill_and_save(sent, back, {(t3.name, new): before + 3})  # received three more, but handled none

    cached = openpyxl.load_workbook(back, data_only=True)[t3.name]
    assert str(cached["A3"].value).startswith("✗")
    check_cell = f"{new[0]}{t3.check_row}"
    assert str(cached[check_cell].value).startswith("✗")
    code, _, err = run_cli("import", "--params", params, back)
    assert code == 0, err
    code, out, _ = run_cli("check", "--params", params, "--format", "json")
    assert code == 1
    assert '"rule": "S1"' in out and "自然人" in out


def test_validation_of_the_form_stops_what_the_format_forbids(tmp_path: Path) -> None:
    params = small_params(tmp_path, {AGENCY: [2024]})
    sent, t3 = _form(params, 2024, tmp_path)
    cell = t3.at(("granted", "natural"))
    for bad in (-1, 2.5, "3件"):
        with pytest.raises(office.FormFillError):
            office.fill_and_save(sent, tmp_path / "x.xlsx", {(t3.name, cell): bad})
    total = t3.at(("granted", "total"))
    with pytest.raises(office.FormFillError, match="locked"):
        office.fill_and_save(sent, tmp_path / "x.xlsx", {(t3.name, total): 5})


def test_2019_amount_with_its_unit_is_accepted_and_a_bare_number_is_not(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2019, 2020]})
    [sent] = form.write_forms(params, 2020, ["shiqiao-town"], tmp_path / "sent")
    version = form.make_form(params, "shiqiao-town", 2020).version
    t2 = next(s for s in layout.table_sheets(version) if s.table == "t2")
    amount = t2.at(("procurement", "amount"))
    with pytest.raises(office.FormFillError):
        office.fill_and_save(sent, tmp_path / "x.xlsx", {(t2.name, amount): 1200})
    back = tmp_path / sent.name
    office.fill_and_save(sent, back, {(t2.name, amount): "25.5万元"})
    code, _, err = run_cli("import", "--params", params, back)
    assert code == 0, err
    assert str(_amount(params)) == "25.5万元"


def _amount(params: Path) -> str:
    agency = tree.read_agency(tree.agency_dir(params, "shiqiao-town"))
    v = tree.read_year(tree.year_path(params, "shiqiao-town", 2020), agency).tables["t2"]["procurement"]["amount"]
    from xxgk.data.model import show

    return show(v)


def test_a_form_libreoffice_only_opened_and_saved_imports_as_unchanged(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {AGENCY: [2023, 2024], "shiqiao-town": [2019, 2020]})
    sent = form.write_forms(params, 2024, [AGENCY], tmp_path / "sent") + form.write_forms(
        params, 2020, ["shiqiao-town"], tmp_path / "sent"
    )
    saved = [office.convert_to_xlsx(p, tmp_path / "saved") for p in sent]
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, *saved)
    assert code == 0, err
    assert "未变 2 个" in err
    assert tree_digest(params) == before


def test_screenshots_of_every_sheet_on_a4(tmp_path: Path) -> None:
    """Each sheet prints on A4 (landscape for the tables), nothing cut off: one page wide, labels in CJK."""
    params = small_params(tmp_path, {AGENCY: [2023, 2024], "shiqiao-town": [2019, 2020]})
    sent = form.write_forms(params, 2024, [AGENCY], tmp_path)
    sent += form.write_forms(params, 2020, ["shiqiao-town"], tmp_path)
    keep = os.environ.get("XXGK_SCREENSHOTS")
    for path in sent:
        pdf = office.to_pdf(path, tmp_path / "pdf")
        pngs = office.pdf_pages_to_png(pdf, tmp_path / "png" / path.stem, dpi=70)
        assert len(pngs) >= 5  # instructions, three tables (表三 runs over two pages), 正文
        text = _pdf_text(pdf)
        version = form.make_form(params, path.stem.rsplit("-", 1)[0], int(path.stem.rsplit("-", 1)[1])).version
        for ts in layout.table_sheets(version):
            assert ts.heading in text
        if keep:
            shutil.copytree(tmp_path / "png" / path.stem, Path(keep) / path.stem, dirs_exist_ok=True)


def _pdf_text(pdf: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
