"""The Excel/WPS entry form: written by ``xxgk form``, filled in (here with openpyxl, as a script or a
user would), read back by ``xxgk import`` through the one import plan.

What a user notices: a form round-trips every example exactly; an edit lands in that year's file
and nowhere else, keeping the file's comments; last year's figures come filled in and locked, with
a note; and every bad form is refused with exit code 2, a message naming the sheet, the cell and
the official labels, and ``params/`` untouched. LibreOffice-saved forms are tested elsewhere
(tests/test_office.py); here an office suite's cached formula results are written into the file
directly, which is all the reader sees of them.
"""

from __future__ import annotations

import difflib
import functools
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from openpyxl.workbook.workbook import Workbook

from tests.conftest import EXAMPLES, small_params, tree_digest
from xxgk import formats
from xxgk.cli import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK
from xxgk.data import tree as data_tree
from xxgk.exchange import form
from xxgk.exchange.form import layout
from xxgk.exchange.form.layout import TableSheet

AGENCY = "jinhe-city-gov-office"
TOWN = "shiqiao-town"
V2019 = formats.get("2019")
V2021 = formats.get("2021")

RunCli = Callable[..., tuple[int, str, str]]
Edit = Callable[[Workbook], object]


def sheet_of(version: formats.FormatVersion, table: str) -> TableSheet:
    return next(ts for ts in layout.table_sheets(version) if ts.table == table)


T2_2019, T3_2019 = sheet_of(V2019, "t2"), sheet_of(V2019, "t3")
T3 = sheet_of(V2021, "t3")
T4 = sheet_of(V2021, "t4")


@functools.cache
def example_form(agency: str, year: int) -> bytes:
    """The form ``xxgk form`` writes for an example agency-year (made once; the examples are only read)."""
    return form.form_bytes(form.make_form(EXAMPLES, agency, year))


def write_form(path: Path, agency: str = AGENCY, year: int = 2024) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(example_form(agency, year))
    return path


def edit(src: Path, dst: Path, change: Edit) -> Path:
    """Open a form with openpyxl, change it, save it at ``dst`` (openpyxl keeps formulas, caches none)."""
    wb = openpyxl.load_workbook(src)
    change(wb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def edited(tmp_path: Path, change: Edit, name: str | None = None, agency: str = AGENCY, year: int = 2024) -> Path:
    """The example form of ``agency`` and ``year``, changed, saved under its own name in a folder of its own."""
    src = write_form(tmp_path / "blank" / layout.form_name(agency, year), agency, year)
    folder = tmp_path / f"edited-{len(list(tmp_path.glob('edited-*')))}"
    return edit(src, folder / (name or src.name), change)


def set_cells(sheet: str, **cells: str | int | float | bool | None) -> Edit:
    def change(wb: Workbook) -> None:
        for ref, value in cells.items():
            wb[sheet][ref] = value

    return change


def problems(err: str) -> list[str]:
    """The problem lines of a refused command (``file: 错误 …``)."""
    return [line for line in err.splitlines() if ": 错误 " in line]


def warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": 警告 " in line]


def refused(run_cli: RunCli, params: Path, *files: Path) -> str:
    """Import ``files``: it must be refused with exit code 2 and leave ``params`` untouched; return stderr."""
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, *files)
    assert code == EXIT_INPUT, err
    assert "未写入任何文件" in err
    assert problems(err), err
    assert tree_digest(params) == before
    return err


def imported(run_cli: RunCli, params: Path, *files: Path) -> str:
    code, _, err = run_cli("import", "--params", params, *files)
    assert code == EXIT_OK, err
    return err


def years_of(root: Path) -> dict[tuple[str, int], data_tree.AgencyYear]:
    loaded = data_tree.load_tree(root)
    assert not loaded.problems, loaded.problems
    return {(ay.agency.id, ay.year): ay for ay in loaded.years}


def agencies_only(tmp_path: Path, source: Path) -> Path:
    """A params tree with every body's agency.yaml and no year yet."""
    root = tmp_path / "empty"
    for d in sorted(p for p in source.iterdir() if p.is_dir()):
        (root / d.name).mkdir(parents=True)
        shutil.copy(d / "agency.yaml", root / d.name / "agency.yaml")
    return root


# --- 1. round trip ---------------------------------------------------------------------------------


def test_every_example_round_trips_through_its_form(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    """params → form → import: the same tree byte for byte, and into an empty tree the same data."""
    original = years_of(params)
    assert {ay.format.id for ay in original.values()} == {"2019", "2021"}
    before = tree_digest(params)
    forms = tmp_path / "forms"
    files = []
    for agency, year in sorted(original):
        out = forms / layout.form_name(agency, year)
        code, stdout, err = run_cli("form", "--params", params, agency, year, "-o", out)
        assert code == EXIT_OK, err
        assert stdout.strip() == str(out)
        meta = openpyxl.load_workbook(out, read_only=True)[layout.META_SHEET]
        recorded = {row[0]: row[1] for row in meta.iter_rows(values_only=True)}
        assert recorded["format"] == ("2019" if year <= 2020 else "2021"), (agency, year)
        assert recorded["agency_id"] == agency and recorded["year"] == year
        files.append(out)
    assert tree_digest(params) == before  # writing forms touches no data file

    err = imported(run_cli, params, *files)
    assert tree_digest(params) == before
    assert f"导入 {len(files)} 个文件" in err and f"未变 {len(files)} 个" in err, err
    assert not warnings(err), err

    empty = agencies_only(tmp_path, params)
    err = imported(run_cli, empty, *files)
    assert f"新建 {len(files)} 个文件" in err, err
    back = years_of(empty)
    assert back.keys() == original.keys()
    for key, ay in original.items():
        again = back[key]
        assert again.format is ay.format, key
        assert again.tables == ay.tables, key
        assert again.narrative == ay.narrative, key
        assert again.facts == ay.facts, key
        assert again.published == ay.published, key


def test_a_form_for_a_new_body_creates_its_agency_file(run_cli: RunCli, tmp_path: Path) -> None:
    src = write_form(tmp_path / "forms" / layout.form_name(TOWN, 2021), TOWN, 2021)
    root = tmp_path / "params"
    root.mkdir()
    err = imported(run_cli, root, src)
    assert "新建" in err
    back = years_of(root)
    assert back[(TOWN, 2021)].agency.name == "石桥镇人民政府"
    assert back[(TOWN, 2021)].tables == years_of(EXAMPLES)[(TOWN, 2021)].tables


# --- 2. editing ------------------------------------------------------------------------------------


def test_an_edited_value_and_narrative_land_in_that_year_only(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    path = params / AGENCY / "2024.yaml"
    old_text = path.read_text(encoding="utf-8")
    old = years_of(params)[(AGENCY, 2024)]
    secret, granted = T3.at(("withheld_state_secret", "natural")), T3.at(("granted", "natural"))
    assert (secret, granted) == ("D12", "D10")  # the cells the issue names
    secret_before = old.tables["t3"]["withheld_state_secret"]["natural"]
    granted_before = old.tables["t3"]["granted"]["natural"]
    assert isinstance(secret_before, int) and isinstance(granted_before, int) and granted_before > 0
    overview = (
        "2024年，本机关依法推进政务公开。\n\n### （一）主动公开\n\n全年主动公开政府信息{{ facts.proactive_items }}条。"
    )
    # One request moved from 予以公开 to 不予公开: every identity still holds.
    src = edited(
        tmp_path,
        lambda wb: (
            set_cells("表三", D12=secret_before + 1, D10=granted_before - 1)(wb),
            set_cells(layout.TEXT_SHEET, B4=overview)(wb),
        ),
    )
    before = tree_digest(params)
    err = imported(run_cli, params, src)
    assert f"更新 {path}" in err and "更新 1 个" in err, err

    after = tree_digest(params)
    assert {k for k in after if after[k] != before[k]} == {f"{AGENCY}/2024.yaml"}
    assert after.keys() == before.keys()
    new = years_of(params)[(AGENCY, 2024)]
    assert new.tables["t3"]["withheld_state_secret"]["natural"] == secret_before + 1
    assert new.tables["t3"]["granted"]["natural"] == granted_before - 1
    assert new.tables["t2"] == old.tables["t2"] and new.tables["t4"] == old.tables["t4"]
    assert new.narrative.overview == overview
    assert (new.narrative.problems, new.narrative.other) == (old.narrative.problems, old.narrative.other)
    assert (new.facts, new.published, new.illustrative) == (old.facts, old.published, old.illustrative)

    new_text = path.read_text(encoding="utf-8")
    assert new_text.splitlines()[:3] == old_text.splitlines()[:3]  # the header comment
    comments = [ln for ln in old_text.splitlines() if ln.startswith("#")]
    assert comments and comments == [ln for ln in new_text.splitlines() if ln.startswith("#")]
    assert f"      natural: {secret_before + 1}  # 自然人" in new_text
    removed = [ln[2:] for ln in difflib.ndiff(old_text.splitlines(), new_text.splitlines()) if ln.startswith("- ")]
    # Only the changed values, their totals, and the old overview's lines went.
    old_overview = {"    " + p if p else "" for p in old.narrative.overview.split("\n")}
    for line in removed:
        assert line in old_overview or re.fullmatch(r"      (natural|total): \d+  # .+", line), line

    code, out, err = run_cli("check", "--params", params)
    assert code == EXIT_OK, out + err


def test_a_broken_identity_imports_and_check_reports_s1(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    secret = years_of(params)[(AGENCY, 2024)].tables["t3"]["withheld_state_secret"]["natural"]
    assert isinstance(secret, int)
    src = edited(tmp_path, set_cells("表三", D12=secret + 5))
    imported(run_cli, params, src)
    code, out, err = run_cli("check", "--params", params, params / AGENCY / "2024.yaml")
    assert code == EXIT_FINDINGS, out + err
    assert "S1" in out, out


def test_a_total_typed_over_with_its_right_value_is_accepted(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    """Paste-as-values over a 总计 (common in WPS): the number is checked against its parts, not refused."""
    row = years_of(params)[(AGENCY, 2024)].tables["t3"]["withheld_state_secret"]
    before = tree_digest(params)
    src = edited(tmp_path, set_cells("表三", J12=row["total"]))
    imported(run_cli, params, src)
    assert tree_digest(params) == before


# --- office-suite forms: formulas with cached results ----------------------------------------------


def with_cached_results(src: Path, dst: Path, results: Callable[[str, str], object]) -> Path:
    """The form as an office suite saves it: each formula cell of 表三 carries a cached result."""
    with zipfile.ZipFile(src) as z:
        entries = {i.filename: z.read(i.filename) for i in z.infolist()}
    sheet = f"xl/worksheets/sheet{layout.sheet_names(V2021).index('表三') + 1}.xml"
    xml = entries[sheet].decode()

    def cache(m: re.Match[str]) -> str:
        value = results(m["ref"], m["formula"])
        return m[0] if value is None else f'<c r="{m["ref"]}"{m["attrs"]}><f>{m["formula"]}</f><v>{value}</v></c>'

    xml, n = re.subn(
        r'<c r="(?P<ref>[A-Z]+\d+)"(?P<attrs>[^>]*)><f>(?P<formula>[^<]*)</f><v\s*/?>(?:</v>)?</c>', cache, xml
    )
    assert n > 30, "the form's formula cells were not found"
    entries[sheet] = xml.encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return dst


def test_cached_totals_of_an_office_suite_are_recomputed_not_trusted(
    run_cli: RunCli, params: Path, tmp_path: Path
) -> None:
    t3 = years_of(params)[(AGENCY, 2024)].tables["t3"]
    src = write_form(tmp_path / "blank" / layout.form_name(AGENCY, 2024))
    totals = {T3.at(key): t3[key[0]][key[1]] for key in T3.grid.by_address if T3.computed(key)}
    before = tree_digest(params)

    (tmp_path / "right").mkdir()
    right = with_cached_results(src, tmp_path / "right" / src.name, lambda ref, f: totals.get(ref))
    err = imported(run_cli, params, right)
    assert not warnings(err) and tree_digest(params) == before, err

    (tmp_path / "stale").mkdir()
    stale = with_cached_results(
        src, tmp_path / "stale" / src.name, lambda ref, f: 999 if ref == "J8" else totals.get(ref)
    )
    err = imported(run_cli, params, stale)
    assert tree_digest(params) == before  # the parts' sum, not the cached 999, is what was imported
    (warning,) = warnings(err)
    assert "表三!J8" in warning and "999" in warning and str(t3["new"]["total"]) in warning, warning


# --- 3. what the form looks like: carried figures, locks, formulas, checks -------------------------


def cell_comment(ws: object, ref: str) -> str:
    comment = ws[ref].comment  # type: ignore[index]
    assert comment is not None, f"{ref} has no note"
    return str(comment.text)


def test_last_years_figures_come_filled_in_and_locked(run_cli: RunCli, tmp_path: Path) -> None:
    root = small_params(tmp_path, {AGENCY: [2023], TOWN: [2019]})
    last = years_of(root)
    forms = tmp_path / "forms"
    for agency, year in ((AGENCY, 2024), (TOWN, 2020)):
        code, _, err = run_cli("form", "--params", root, agency, year, "-o", forms / layout.form_name(agency, year))
        assert code == EXIT_OK, err

    # 2021 format: 表三 上年结转 from last year's 结转下年度继续办理.
    wb = openpyxl.load_workbook(forms / layout.form_name(AGENCY, 2024))
    ws = wb["表三"]
    carried = last[(AGENCY, 2023)].tables["t3"]["carried_forward"]
    for column, value in carried.items():
        ref = T3.at(("carried_over", column))
        if T3.computed(("carried_over", column)):
            assert str(ws[ref].value).startswith("="), ref
            continue
        assert ws[ref].value == value, ref
        assert ws[ref].protection.locked, ref
        note = cell_comment(ws, ref)
        assert "2023年" in note and "结转下年度继续办理" in note and str(value) in note, note
    for key in T3.grid.by_address:
        ref = T3.at(key)
        if key[0] == "carried_over" or T3.computed(key):
            continue
        assert ws[ref].value is None, ref  # no data yet: blank, to fill in
        assert not ws[ref].protection.locked, ref
        assert ws[ref].comment is None, ref

    # 2019 format: 表二 上一年项目数量 is last year's count plus its change; 表三 as above.
    wb = openpyxl.load_workbook(forms / layout.form_name(TOWN, 2020))
    t2 = last[(TOWN, 2019)].tables["t2"]
    rows = [r for r, cols in t2.items() if "previous_items" in cols]
    assert rows
    for row in rows:
        ref = T2_2019.at((row, "previous_items"))
        cell = wb["表二"][ref]
        previous, change = t2[row]["previous_items"], t2[row]["change"]
        assert isinstance(previous, int) and isinstance(change, int)
        assert cell.value == previous + change, (row, ref)
        assert cell.protection.locked
        note = cell_comment(wb["表二"], ref)
        assert "2019年" in note and "上一年项目数量" in note, note
        assert not wb["表二"][T2_2019.at((row, "change"))].protection.locked
    ref = T3_2019.at(("carried_over", "natural"))
    assert wb["表三"][ref].value == last[(TOWN, 2019)].tables["t3"]["carried_forward"]["natural"]
    assert wb["表三"][ref].protection.locked


def test_carry_over_across_the_format_change(run_cli: RunCli, tmp_path: Path) -> None:
    """2021 after 2020: 表三 上年结转 carries into the new format; 表二's new format has no 上一年项目数量."""
    root = small_params(tmp_path, {TOWN: [2020]})
    out = tmp_path / "f.xlsx"
    code, _, err = run_cli("form", "--params", root, TOWN, 2021, "-o", out)
    assert code == EXIT_OK, err
    wb = openpyxl.load_workbook(out)
    carried = years_of(root)[(TOWN, 2020)].tables["t3"]["carried_forward"]
    ref = T3.at(("carried_over", "natural"))
    assert wb["表三"][ref].value == carried["natural"] and wb["表三"][ref].protection.locked
    assert "2020年" in cell_comment(wb["表三"], ref)
    assert not any(c.comment for row in wb["表二"].iter_rows() for c in row)


def test_the_form_is_protected_checked_and_validated(tmp_path: Path) -> None:
    src = write_form(tmp_path / layout.form_name(AGENCY, 2024))
    wb = openpyxl.load_workbook(src)
    assert wb.sheetnames == layout.sheet_names(V2021)
    assert wb[layout.META_SHEET].sheet_state == "hidden"
    assert all(wb[n].sheet_state == "visible" for n in wb.sheetnames[:-1])
    assert all(ws.protection.sheet for ws in wb.worksheets)
    assert wb.security is not None and wb.security.lockStructure
    for ts in layout.table_sheets(V2021):
        ws = wb[ts.name]
        validated = [dv for dv in ws.data_validations.dataValidation]
        assert validated, ts.name
        formatted = [str(rng.sqref) for rng in ws.conditional_formatting]
        for c in ts.grid.values():
            assert c.spec is not None
            ref = ts.ref(c)
            key = (c.spec.row, c.spec.column)
            if ts.computed(key):
                assert str(ws[ref].value).startswith("="), (ts.name, ref)
                assert ws[ref].protection.locked
                assert any(ref in rng.split() for rng in formatted), (ts.name, ref)  # turns red when wrong
            elif ws[ref].protection.locked:
                assert ts.table == "t3" and key[0] == "carried_over", (ts.name, ref)  # carried from 2023
            else:
                assert any(ref in dv.sqref for dv in validated), (ts.name, ref)
                prompts = [dv.prompt for dv in validated if ref in dv.sqref]
                assert prompts and all(prompts), (ts.name, ref)
        labels = [ts.ref(c) for c in ts.grid.cells if c.spec is None]
        assert all(ws[ref].protection.locked for ref in labels)
    text = wb[layout.TEXT_SHEET]
    assert not text["B4"].protection.locked and text["A4"].protection.locked
    # A form for a year that already has data holds it.
    data = years_of(EXAMPLES)[(AGENCY, 2024)]
    assert wb["表三"]["D8"].value == data.tables["t3"]["new"]["natural"]
    assert text["B4"].value == data.narrative.overview


def test_a_draft_gets_a_form_and_is_completed_by_importing_it(run_cli: RunCli, tmp_path: Path) -> None:
    root = small_params(tmp_path, {AGENCY: [2023]})
    code, _, err = run_cli("new", "--params", root, AGENCY, 2024)
    assert code == EXIT_OK, err
    draft = root / AGENCY / "2024.yaml"
    draft_text = draft.read_text(encoding="utf-8")
    blank = tmp_path / "forms" / layout.form_name(AGENCY, 2024)
    code, _, err = run_cli("form", "--params", root, AGENCY, 2024, "-o", blank)
    assert code == EXIT_OK, err
    wb = openpyxl.load_workbook(blank)
    assert wb["表三"]["D8"].value is None and not wb["表三"]["D8"].protection.locked
    assert wb["表三"]["D9"].value is not None and wb["表三"]["D9"].protection.locked  # carried, as `new` wrote it

    # Sent back untouched: nothing was filled in, so nothing is imported.
    err = refused(run_cli, root, blank)
    assert "没有填写任何数字" in err, err

    # Filled in by the body (every white cell, as the example's 2024 data has it), it completes the draft.
    full = openpyxl.load_workbook(write_form(tmp_path / "full" / blank.name))

    def fill(wb: Workbook) -> None:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if not isinstance(cell, MergedCell) and not cell.protection.locked:
                        cell.value = full[ws.title][cell.coordinate].value

    filled = edit(blank, tmp_path / "filled" / blank.name, fill)
    err = imported(run_cli, root, filled)
    assert f"更新 {draft}" in err and not warnings(err), err
    done = years_of(root)[(AGENCY, 2024)]
    example = years_of(EXAMPLES)[(AGENCY, 2024)]
    assert done.tables == example.tables
    assert (done.narrative, done.facts, done.published) == (example.narrative, example.facts, example.published)
    assert draft.read_text(encoding="utf-8").splitlines()[:3] == draft_text.splitlines()[:3]
    code, out, err = run_cli("check", "--params", root, draft)
    assert code == EXIT_OK, out + err


# --- 4. bad input: refused, named, harmless --------------------------------------------------------


def insert_row(wb: Workbook) -> None:
    wb["表三"].insert_rows(12)


def swap_labels(wb: Workbook) -> None:
    ws = wb["表三"]
    ws["C13"].value, ws["C14"].value = ws["C14"].value, ws["C13"].value


BAD_EDITS: dict[str, tuple[Edit, list[str]]] = {
    "text in a count cell": (
        set_cells("表三", D12="3件"),
        ["表三!D12", "（三）不予公开/1.属于国家秘密", "自然人", "应为整数", "3件"],
    ),
    "a total overwritten with a wrong number": (
        set_cells("表三", J12=99),
        ["表三!J12", "（三）不予公开/1.属于国家秘密", "总计", "应为 3", "99"],
    ),
    "a formula typed into an input": (set_cells("表三", D12="=1+2"), ["表三!D12", "自然人", "公式"]),
    "a logical value in a count cell": (set_cells("表三", D12=True), ["表三!D12", "逻辑值"]),
    "an edited label": (set_cells("表三", C12="1.国家秘密"), ["表三!C12", "1.属于国家秘密", "1.国家秘密"]),
    "a row inserted": (insert_row, ["表三!B12", "（三）不予公开"]),
    "two rows swapped": (swap_labels, ["表三!C13", "表三!C14", "2.其他法律行政法规禁止公开"]),
    "an extra sheet": (lambda wb: wb.create_sheet("Sheet1"), ["Sheet1", "多出的工作表"]),
    "a deleted sheet": (lambda wb: wb.remove(wb["表四"]), ["表四", "缺少这张工作表"]),
    "a renamed sheet": (lambda wb: setattr(wb["表四"], "title", "表4"), ["表四", "缺少", "表4", "多出"]),
    "a bad date on 正文": (set_cells(layout.TEXT_SHEET, B8="明年一月"), ["正文!B8", "发布日期", "明年一月"]),
    "a channel count without its name": (set_cells(layout.TEXT_SHEET, B12=3), ["正文!A12", "渠道名称"]),
}


@pytest.mark.parametrize("case", list(BAD_EDITS))
def test_a_bad_form_is_refused_and_named(run_cli: RunCli, params: Path, tmp_path: Path, case: str) -> None:
    change, expected = BAD_EDITS[case]
    src = edited(tmp_path, change)
    err = refused(run_cli, params, src)
    for text in expected:
        assert text in err, (text, err)
    assert all(line.startswith(str(src)) for line in problems(err)), err
    assert not re.search(r"(表[二三四])!\w+（\1 ", err), err  # the table is named once


def test_a_form_renamed_to_another_body_is_refused(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    src = write_form(tmp_path / "other-agency-2024.xlsx")
    err = refused(run_cli, params, src)
    assert "other-agency" in err and AGENCY in err, err
    other_year = write_form(tmp_path / "y" / f"{AGENCY}-2023.xlsx")
    err = refused(run_cli, params, other_year)
    assert "2023" in err and "2024" in err, err


def test_a_browser_copy_name_is_accepted(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    before = tree_digest(params)
    imported(run_cli, params, write_form(tmp_path / f"{AGENCY}-2024 (1).xlsx"))
    assert tree_digest(params) == before


def test_a_form_whose_meta_says_another_format_is_refused_clearly(
    run_cli: RunCli, params: Path, tmp_path: Path
) -> None:
    """The hidden sheet says 2019 format, the tables are 2021's: one message about the format, not a label flood."""

    def meta_2019(wb: Workbook) -> None:
        ws = wb[layout.META_SHEET]
        (row,) = [r for r in ws.iter_rows() if r[0].value == "format"]
        row[1].value = "2019"

    err = refused(run_cli, params, edited(tmp_path, meta_2019))
    found = problems(err)
    assert len(found) <= 2, err
    assert "格式" in found[0] and "2019" in found[0] and "2021" in found[0], err
    assert "xxgk form" in err


def test_a_form_for_another_format_than_the_data_file_is_refused(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    """A data file that names the 2019 format for 2021 (allowed) gets no 2021-format form imported over it."""
    src = write_form(tmp_path / layout.form_name(TOWN, 2021), TOWN, 2021)
    text = (params / TOWN / "2020.yaml").read_text(encoding="utf-8")
    (params / TOWN / "2021.yaml").write_text(text.replace("\npublished:", '\nformat: "2019"\npublished:', 1), "utf-8")
    err = refused(run_cli, params, src)
    assert "2021版" in err and "2019试行版" in err and f"xxgk form {TOWN} 2021" in err, err


CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def test_encrypted_and_old_workbooks_are_refused(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    encrypted = tmp_path / f"{AGENCY}-2024.xlsx"
    encrypted.write_bytes(CFB + bytes(504) + "EncryptedInfo\0EncryptedPackage".encode("utf-16-le") + bytes(512))
    err = refused(run_cli, params, encrypted)
    assert "密码" in err and "另存为 .xlsx" in err, err
    old = tmp_path / "report.xls"
    old.write_bytes(CFB + bytes(504) + "Workbook\0SummaryInformation".encode("utf-16-le") + bytes(512))
    err = refused(run_cli, params, old)
    assert ".xls" in err and "另存为 .xlsx" in err and "密码" not in err, err
    # Told apart by content, not by name: an encrypted workbook named .csv is still one.
    renamed = tmp_path / "data.csv"
    renamed.write_bytes(encrypted.read_bytes())
    assert "密码" in refused(run_cli, params, renamed)


def test_workbooks_not_made_by_xxgk_are_refused(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "自然人"  # type: ignore[index]
    wb.save(tmp_path / "mine.xlsx")
    err = refused(run_cli, params, tmp_path / "mine.xlsx")
    assert "不是 xxgk 生成的填报表" in err and "xxgk form" in err, err
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04" + bytes(100))
    err = refused(run_cli, params, tmp_path / "broken.xlsx")
    assert "不是有效的 .xlsx" in err, err
    truncated = tmp_path / "cut" / f"{AGENCY}-2024.xlsx"
    truncated.parent.mkdir()
    truncated.write_bytes(example_form(AGENCY, 2024)[:5000])
    assert "不是有效的 .xlsx" in refused(run_cli, params, truncated)


def test_an_entirely_blank_form_is_refused(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    """lanzhou-xinqu-audit has no 2023: its 2024 form is all blank, and sent back blank it is refused."""
    out = tmp_path / layout.form_name("lanzhou-xinqu-audit", 2024)
    code, _, err = run_cli("form", "--params", params, "lanzhou-xinqu-audit", 2024, "-o", out)
    assert code == EXIT_OK, err
    err = refused(run_cli, params, out)
    assert "没有填写任何数字" in err, err


def test_an_untouched_form_with_carried_figures_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    """Only xxgk's own locked 上年结转 cells hold numbers: the body filled in nothing, so nothing is imported."""
    root = small_params(tmp_path, {AGENCY: [2023]})
    out = tmp_path / layout.form_name(AGENCY, 2024)
    code, _, err = run_cli("form", "--params", root, AGENCY, 2024, "-o", out)
    assert code == EXIT_OK, err
    err = refused(run_cli, root, out)
    assert "没有填写任何数字" in err, err
    assert not (root / AGENCY / "2024.yaml").exists()


def test_many_forms_at_once_with_a_summary(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    a = edited(tmp_path, set_cells(layout.TEXT_SHEET, B6="本年度无其他需要报告的事项。"))
    b = edited(tmp_path, set_cells(layout.TEXT_SHEET, B6="无。"), agency=TOWN, year=2023)
    c = write_form(tmp_path / "c" / layout.form_name(TOWN, 2024), TOWN, 2024)
    err = imported(run_cli, params, a, b, c)
    assert "导入 3 个文件" in err and "更新 2 个" in err and "未变 1 个" in err, err
    assert f"更新 {params / AGENCY / '2024.yaml'}" in err and f"更新 {params / TOWN / '2023.yaml'}" in err
    assert years_of(params)[(TOWN, 2023)].narrative.other == "无。"


def test_one_bad_form_stops_all_and_every_files_problems_are_listed(
    run_cli: RunCli, params: Path, tmp_path: Path
) -> None:
    good = edited(tmp_path, set_cells(layout.TEXT_SHEET, B6="改了。"), agency=TOWN, year=2024)
    bad_value = edited(tmp_path, set_cells("表三", D12="3件"))
    err = refused(run_cli, params, good, bad_value)
    assert "3件" in err

    # Two bad forms: one with a wrong value, one laid out wrong. Both are named in one go.
    bad_layout = edited(tmp_path, lambda wb: wb.create_sheet("Sheet1"), agency=TOWN, year=2023)
    err = refused(run_cli, params, good, bad_value, bad_layout)
    assert any(ln.startswith(str(bad_value)) and "表三!D12" in ln for ln in problems(err)), err
    assert any(ln.startswith(str(bad_layout)) and "Sheet1" in ln for ln in problems(err)), err
    # …and with two wrong values.
    bad_too = edited(tmp_path, set_cells("表四", A8="四"), agency=TOWN, year=2023)
    err = refused(run_cli, params, bad_value, bad_too, good)
    assert any(ln.startswith(str(bad_value)) and "表三!D12" in ln for ln in problems(err)), err
    assert any(ln.startswith(str(bad_too)) and "表四!A8" in ln for ln in problems(err)), err


def test_two_forms_of_one_agency_year_that_disagree_are_refused(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    five = edited(tmp_path, set_cells("表三", D12=5))
    six = edited(tmp_path, set_cells("表三", D12=6))
    err = refused(run_cli, params, five, six)
    assert "表三!D12" in err and "数值不同" in err, err
    # Same figures, different 正文: no silent choice of one of them either.
    one = edited(tmp_path, set_cells(layout.TEXT_SHEET, B6="甲。"))
    other = edited(tmp_path, set_cells(layout.TEXT_SHEET, B6="乙。"))
    err = refused(run_cli, params, one, other)
    assert str(one) in err and str(other) in err and "正文" in err, err


def test_the_same_form_twice_is_imported_once(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    a = edited(tmp_path, set_cells(layout.TEXT_SHEET, B6="本年度无其他事项。"))
    b = tmp_path / "copy" / f"{AGENCY}-2024 (1).xlsx"
    b.parent.mkdir()
    shutil.copy(a, b)
    err = imported(run_cli, params, a, b)
    assert "更新 1 个" in err
    assert len(warnings(err)) <= 1, err
    err = refused(run_cli, params, a, a)
    assert "同一个文件" in err


# --- 5. xxgk form ----------------------------------------------------------------------------------


def test_form_for_an_unknown_body_is_refused(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    code, _, err = run_cli("form", "--params", params, "no-such-body", 2024, "-o", out)
    assert code == EXIT_INPUT
    assert "没有机关 no-such-body" in err and "xxgk new no-such-body 2024" in err, err
    assert not out.exists()
    code, _, err = run_cli("form", "--params", params, "../etc", 2024, "-o", out)
    assert code == EXIT_INPUT and not out.exists(), err
    code, _, err = run_cli("form", "--params", params, "--all", "-o", tmp_path / "d")
    assert code == EXIT_INPUT and "--year" in err, err
    code, _, err = run_cli("form", "--params", params, AGENCY)
    assert code == EXIT_INPUT and "用法" in err, err


def test_form_all_writes_one_form_per_body(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    out = tmp_path / "forms"
    code, stdout, err = run_cli("form", "--params", params, "--year", 2024, "--all", "-o", out)
    assert code == EXIT_OK, err
    bodies = sorted(d.name for d in params.iterdir() if (d / "agency.yaml").is_file())
    assert sorted(p.name for p in out.iterdir()) == [layout.form_name(b, 2024) for b in bodies]
    assert sorted(stdout.split()) == sorted(str(out / layout.form_name(b, 2024)) for b in bodies)
    assert f"写出了 {len(bodies)} 份填报表" in err
    for b in bodies:
        meta = openpyxl.load_workbook(out / layout.form_name(b, 2024), read_only=True)[layout.META_SHEET]
        assert {r[0]: r[1] for r in meta.iter_rows(values_only=True)}["agency_id"] == b


def test_form_all_is_all_or_nothing(run_cli: RunCli, params: Path, tmp_path: Path) -> None:
    (params / TOWN / "2024.yaml").write_text("tables: [\n", encoding="utf-8")
    out = tmp_path / "forms"
    code, _, err = run_cli("form", "--params", params, "--year", 2024, "--all", "-o", out)
    assert code == EXIT_INPUT
    assert "2024.yaml" in err and TOWN in err, err
    assert not out.exists() or not list(out.iterdir())


def test_form_output_is_where_asked_and_reproducible(
    run_cli: RunCli, params: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli("form", "--params", params, AGENCY, 2024)
    assert code == EXIT_OK, err
    default = tmp_path / layout.form_name(AGENCY, 2024)
    assert stdout.strip() == layout.form_name(AGENCY, 2024) and default.is_file()
    other = tmp_path / "sub" / "mine.xlsx"
    code, stdout, err = run_cli("form", "--params", params, AGENCY, 2024, "-o", other)
    assert code == EXIT_OK, err
    assert stdout.strip() == str(other)
    assert other.read_bytes() == default.read_bytes()  # the same data, the same bytes
    code, _, err = run_cli("form", "--params", params, AGENCY, 2024, "-o", other)
    assert code == EXIT_OK and other.read_bytes() == default.read_bytes()
    # …and it is what `xxgk form --all` writes for the same body and year.
    code, _, err = run_cli("form", "--params", params, "--year", 2024, "--all", "-o", tmp_path / "all")
    assert (tmp_path / "all" / default.name).read_bytes() == default.read_bytes()
    # Deterministically (the runs above may fall in one second): no date in the file is the time of writing.
    props = openpyxl.load_workbook(default).properties
    assert props.created == props.modified and props.modified is not None and props.modified.year < 2020
