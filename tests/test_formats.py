"""The format description matches format-spec.md: cell counts, labels, spans, version by year."""

from __future__ import annotations

import pytest

from xxgk import formats


def test_cell_counts_of_both_versions() -> None:
    counts = {v: {t: len(formats.get(v).table_cells(t)) for t in formats.TABLE_IDS} for v in ("2019", "2021")}
    assert counts == {"2019": {"t2": 22, "t3": 161, "t4": 15}, "2021": {"t2": 10, "t3": 175, "t4": 15}}


@pytest.mark.parametrize(("year", "version"), [(2019, "2019"), (2020, "2019"), (2021, "2021"), (2030, "2021")])
def test_version_follows_the_report_year(year: int, version: str) -> None:
    assert formats.for_year(year).id == version


def test_years_before_the_regulation_have_no_format() -> None:
    with pytest.raises(ValueError, match="2019"):
        formats.for_year(2018)


def test_labels_are_exact_full_width_text() -> None:
    v19, v21 = formats.get("2019"), formats.get("2021")
    labels19 = {c.row_label for c in v19.cells}
    assert "（三）不予公开/3.危及“三安全一稳定”" in labels19
    assert "（六）其他处理" in labels19
    assert "规范性文件" in labels19 and "行政规范性文件" not in labels19
    labels21 = {c.row_label for c in v21.cells}
    assert "（六）其他处理/1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请" in labels21
    assert "（六）其他处理" not in labels21
    assert v21.cell("t2", "fees", "amount").column_label == "本年收费金额（单位：万元）"
    assert v21.cell("t4", "litigation_after_review", "total").column_label == "行政诉讼/复议后起诉/总计"
    assert v19.t3_corner == "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def test_row_spans_follow_from_the_tree() -> None:
    for vid, results_rows in (("2019", 20), ("2021", 22)):
        results = next(c for c in formats.get(vid).t3_rows.children if c.children)
        assert results.label == "三、本年度办理结果"
        assert results.width() == results_rows


def _format_words() -> set[str]:
    """Every label of the format (cells, header and row trees, blocks, sections, corners), their short forms
    for charts and sentences, and the administrative levels: the words only ``formats/`` may write."""
    words: set[str] = set()

    def tree(node: formats.Header) -> None:
        words.add(node.label)
        for child in node.children:
            tree(child)

    for v in formats.versions().values():
        for c in v.cells:
            words |= {c.row_label.split("/")[-1], c.column_leaf, *c.row_label.split("/"), *c.column_label.split("/")}
        for root in (v.t3_rows, v.t3_columns, v.t4_columns):
            tree(root)
        for block in v.t2_blocks:
            words |= {block.label, *(col.label for col in block.columns), *(r.label for r in block.rows)}
        words |= {*v.sections.values(), v.t2_row_header, v.t3_corner, v.name, v.basis}
    words |= {formats.short_label(w) for w in list(words)}
    words = {w for w in words if len(w) >= 4}
    return words | set(formats.levels())


def test_every_label_of_the_code_comes_from_the_spec() -> None:
    """No module, template or stylesheet repeats a label, a short label or a level of the format (principle 1).

    The phrases the report writes and rule I7 reads are in ``national.yaml`` too, so they are not
    looked for: ``formats/`` is the one place that may spell any of this out.
    """
    from pathlib import Path

    words = _format_words()
    assert {"予以公开", "行政复议", "国务院部门", "乡镇", "三、本年度办理结果"} <= words  # the net is wide enough
    lib = Path(formats.__file__).resolve().parent.parent
    repeated = {}
    for path in sorted(p for p in lib.rglob("*") if p.suffix in {".py", ".j2", ".css", ".json"}):
        if "formats" in path.relative_to(lib).parts:
            continue
        text = path.read_text(encoding="utf-8")
        found = sorted(w for w in words if w in text)
        if found:
            repeated[str(path.relative_to(lib))] = found
    assert not repeated, f"modules repeat format labels: {repeated}"
