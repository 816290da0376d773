"""A published report read into an agency-year: sections, tables, dates, and what could not be read.

This is where a page becomes data the checks understand. The six sections are found by their
headings (official wording, the variants real reports use, with or without the right ordinal:
rule D1); each table is read under the section it stands in (:mod:`.tables`); a section whose
table is a picture or missing cannot be checked (D2), and one whose table reached us as text is
recovered only when the identities leave one solution (M2, :mod:`.flat`). The format version is
read from the tables' layout, never assumed from the year, and a layout that does not fit the
year is itself a finding (P4). Cells that say nothing (blank, ``/``, ``无``) are counted (Q3), not
silently read as 0; traditional characters and injected pinyin of mirror sites are undone and
reported (M1). Every value keeps where it came from (:attr:`Reading.where`), so a reviewer can go
from a finding to the cell of the page, and ``import-report`` can record its provenance.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

from xxgk import formats
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import Agency, AgencyYear, Amount, Narrative, Tables, Value
from xxgk.exchange.published import flat
from xxgk.exchange.published.cells import STATUS_WORDS, CellText
from xxgk.exchange.published.document import Block, Document, RawTable
from xxgk.exchange.published.tables import CellRead, TableRead, identify_all, officials, read_table
from xxgk.formats import FormatVersion, TableId
from xxgk.formats.match import match, simplified, without_pinyin

Reads = dict[int, dict[tuple[str, TableId], TableRead]]
"""Every read :func:`~.tables.identify` made of a source table, by ``id()`` of the table, so none is made twice."""

RULES = ("P4", "D1", "D2", "M1", "M2", "M4")
"""The rules of stage ``read`` that reading a published report raises (with Q3 of every importer)."""
TABLE_SECTIONS: dict[str, TableId] = {"t2": "t2", "t3": "t3", "t4": "t4"}
_HEADING = re.compile(r"^\s*([一二三四五六七八九十]+)\s*[、.．,，]\s*(.+?)\s*$")
_ORDINALS = "一二三四五六七八九十"
HEADING_MAX_CHARS = 40
"""A heading is short: a paragraph that starts with 一、 and runs on is a sentence, not a section."""
_YEAR_IN_TITLE = re.compile(r"(\d{4})\s*年\s*度?")
_DATE = re.compile(r"(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?")
_PINYIN = re.compile(r"[\u4e00-\u9fff]\(([a-z]{1,6})\)")
_JINJA = re.compile(r"\{(?=[{%#])")
_DROPPED = re.compile(r"[〔\[]\d{5,}|(?<!\d)(?:19|20)\d{2}(?:1[0-2]|[1-9])\d{1,2}(?![\d年月日号件项])")
"""Mirror sites drop characters: ``〔202130`` for ``〔2021〕30号``, ``2021926`` for ``2021年9月26日``."""
MIRROR_TRADITIONAL_MIN = 5
"""Characters that change under t2s before a text counts as converted to traditional by a mirror."""
LIST_MAX = 8
"""How many places a finding lists before it says ``等``."""


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    where: str
    blocks: tuple[Block, ...]

    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks if b.kind == "paragraph")


@dataclass
class Reading:
    """What the audit read from one source: the agency-year, where each value came from, and findings."""

    document: Document
    agency_year: AgencyYear
    title: str
    sections: dict[str, Section]
    tables: dict[str, TableRead]
    where: dict[str, str] = field(default_factory=dict)
    """Data field (``tables.t3.new.natural``, ``narrative.overview``, ``published``) → its place in the source."""
    findings: list[Diagnostic] = field(default_factory=list)
    """What reading found (D1, D2, P4, Q3, M1, M2, M4, T4): the checks' findings come on top."""
    unreadable: set[str] = field(default_factory=set)
    """Tables that could not be read (missing, a picture, text with no unique split): not checked."""
    recovered: set[str] = field(default_factory=set)
    """Tables recovered from flattened text."""
    assumed: list[str] = field(default_factory=list)
    """What the reader assumed rather than read (for provenance): the year from the date, a unit …"""
    blanks: dict[str, list[CellRead]] = field(default_factory=dict)
    """Cells the source shows but that hold no number (blank, ``/``, ``无`` …), by table."""
    unlisted: set[tuple[str, str, str]] = field(default_factory=set)
    """Cells of a read table that the source does not show at all (a row or column left out)."""


def _diag(
    rule: str,
    doc: Document,
    message: str,
    *,
    table: str = "",
    severity: str | None = None,
    field: str = "",
    found: str | None = None,
    expected: str | None = None,
) -> Diagnostic:
    r = formats.rules()[rule]
    sev = severity or r.severity
    assert sev in ("error", "warning")
    return Diagnostic(
        rule=rule,
        severity=sev,  # type: ignore[arg-type]
        message=message,
        file=str(doc.source),
        table=table,
        field=field,
        found=found,
        expected=expected,
    )


def _listing(items: Sequence[str]) -> str:
    shown = "；".join(items[:LIST_MAX])
    return shown + (f" 等 {len(items)} 处" if len(items) > LIST_MAX else "")


def clean_text(text: str) -> str:
    """A mirror's text as the original said it: simplified characters, no injected pinyin."""
    return simplified(without_pinyin(text))


def _heading(text: str) -> tuple[int, str] | None:
    """(ordinal, section key) when ``text`` is one of the six section headings, in any accepted wording."""
    if len(text) > HEADING_MAX_CHARS:
        return None
    m = _HEADING.match(unicodedata.normalize("NFKC", text))
    if not m or len(m.group(1)) > 2:
        return None
    ordinal = _ORDINALS.index(m.group(1)[-1]) + 1 + (9 if len(m.group(1)) == 2 else 0)
    title = m.group(2)
    variants = formats.heading_variants()
    choices = {v: key for key, vs in variants.items() for v in vs}
    got = match(title, tuple(choices))
    if got is None:
        return ordinal, ""
    return ordinal, choices[got.label]


def second_report(doc: Document) -> int | None:
    """Where a second report starts, when a page holds two (a CMS list page, two years pasted together).

    After the last section's heading, a new 一、 heading starts another report; its title (a short
    paragraph naming a year's report) just before it, if there is one, is where the cut goes.
    """
    seen_last = None
    for i, b in enumerate(doc.blocks):
        if b.kind != "paragraph":
            continue
        h = _heading(clean_text(b.text))
        if h is None:
            continue
        if h[1] == formats.SECTION_KEYS[-1]:
            seen_last = i
        elif h[1] == formats.SECTION_KEYS[0] and seen_last is not None:
            for k in range(i - 1, seen_last, -1):
                t = doc.blocks[k]
                if t.kind == "paragraph" and len(t.text) <= 80 and "报告" in t.text and _YEAR_IN_TITLE.search(t.text):
                    return k
            return i
    return None


def find_sections(doc: Document, out: list[Diagnostic]) -> tuple[list[Block], dict[str, Section], list[Block]]:
    """The preamble, the six sections by key, and the signature at the end (D1 for what is wrong)."""
    keys = list(formats.SECTION_KEYS)
    official = formats.get(formats.VERSION_IDS[-1]).sections
    starts: list[tuple[int, str, Block, int]] = []
    for i, b in enumerate(doc.blocks):
        if b.kind != "paragraph":
            continue
        h = _heading(clean_text(b.text))
        if h is None:
            continue
        ordinal, key = h
        if not key:
            if starts and ordinal == len(starts) + 1 and ordinal > len(keys):
                starts.append((i, "", b, ordinal))
            continue
        if any(s[1] == key for s in starts):
            continue
        starts.append((i, key, b, ordinal))
    preamble = list(doc.blocks[: starts[0][0]]) if starts else list(doc.blocks)
    sections: dict[str, Section] = {}
    signature: list[Block] = []
    for n, (i, key, b, ordinal) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(doc.blocks)
        body = list(doc.blocks[i + 1 : end])
        if not key:
            out.append(_diag("D1", doc, f"第六部分之后还有“{b.text.strip()}”（{b.where}）：年度报告只有六个部分"))
            continue
        if n + 1 == len(starts) or starts[n + 1][1] == "":
            body, signature = _split_signature(body)
        sections[key] = Section(key, b.text.strip(), b.where, tuple(body))
        want = keys.index(key) + 1
        if ordinal != want:
            out.append(
                _diag(
                    "D1",
                    doc,
                    f"“{b.text.strip()}”（{b.where}）应为“{official[key]}”：序号应为{_ORDINALS[want - 1]}",
                    severity="warning",
                )
            )
    order = [s[1] for s in starts if s[1]]
    if order != sorted(order, key=keys.index):
        out.append(_diag("D1", doc, "六个部分的顺序不对：" + "、".join(official[k].split("、")[0] for k in order)))
    missing = [official[k] for k in keys if k not in sections]
    if missing:
        out.append(_diag("D1", doc, "缺少" + "、".join(f"“{m}”" for m in missing) + "部分"))
    return preamble, sections, signature


def _split_signature(body: list[Block]) -> tuple[list[Block], list[Block]]:
    """The last section's text without the signature below it (the body's name and the date)."""
    cut = len(body)
    while cut > 0:
        b = body[cut - 1]
        text = b.text.strip()
        if b.kind == "paragraph" and (
            _DATE.fullmatch(text) or (len(text) <= 30 and not re.search(r"[。，；：]", text))
        ):
            cut -= 1
            continue
        break
    if cut == len(body) or not any(_DATE.fullmatch(b.text.strip()) for b in body[cut:]):
        return body, []
    return body[:cut], body[cut:]


_TITLE_SEPARATORS = re.compile(r"\s*[-_|｜—]+\s*|】")


def _clean_title(title: str) -> str:
    """The report's own title without a site name or a mirror's spam around it.

    A title like ``【免费下载】…范文大全-某局2021年政府信息公开工作年度报告`` keeps the last
    part that names a year's report; a title without such a part is kept as it is.
    """
    parts = [p for p in _TITLE_SEPARATORS.split(title) if p]
    named = [p for p in parts if _YEAR_IN_TITLE.search(p) and "报告" in p]
    return named[-1].strip() if named else title.strip()


def _date(text: str) -> dt.date | None:
    m = _DATE.search(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _year(title: str, preamble: Sequence[Block], published: dt.date | None) -> tuple[int | None, str]:
    t = unicodedata.normalize("NFKC", title)
    m = _YEAR_IN_TITLE.search(t)
    if m:
        return int(m.group(1)), ""
    for b in preamble:
        m = re.search(r"统计期限.{0,4}?(\d{4})\s*年", unicodedata.normalize("NFKC", b.text))
        if m:
            return int(m.group(1)), "报告年度取自引言的统计期限（标题中没有年份）"
    if published:
        return published.year - 1, f"报告年度按发布日期{published.isoformat()}推定为上一年（标题和引言中都没有年份）"
    return None, ""


def _agency_name(title: str, signature: Sequence[Block]) -> str:
    t = clean_text(title)
    m = _YEAR_IN_TITLE.search(unicodedata.normalize("NFKC", t))
    if m:
        name = unicodedata.normalize("NFKC", t)[: m.start()]
        name = re.split(r"[|｜_】\]>》—-]", name)[-1].strip(" ：:")
        if name:
            return name
    for b in signature:
        if not _DATE.fullmatch(b.text.strip()):
            return b.text.strip()
    return ""


def _decide_version(
    doc: Document, tables: dict[str, TableRead], year: int | None, out: list[Diagnostic], reads: Reads | None = None
) -> FormatVersion:
    """The version the tables are laid out in: table 二 tells them apart, table 三 next; the year last."""
    for t in ("t2", "t3"):
        got = tables.get(t)
        if got is None or not got.cells:
            continue
        scores = {}
        for vid in formats.VERSION_IDS:
            v = formats.get(vid)
            scores[vid] = _read_again(doc, got, v, reads).score
        best = max(scores, key=lambda k: scores[k])
        if list(scores.values()).count(scores[best]) == 1:
            return formats.get(best)
    if year is not None:
        try:
            return formats.for_year(year)
        except ValueError:
            pass
    return formats.get(formats.VERSION_IDS[-1])


def _read_again(doc: Document, got: TableRead, version: FormatVersion, reads: Reads | None) -> TableRead:
    """``read_table(_raw_of(doc, got), version, got.table)``, taken from ``reads`` when identify made it."""
    raw = _raw_of(doc, got)
    made = reads.get(id(raw), {}).get((version.id, got.table)) if reads is not None else None
    return made if made is not None else read_table(raw, version, got.table)


def _raw_of(doc: Document, got: TableRead) -> RawTable:
    for b in doc.blocks:
        if b.table is not None and b.table.where == got.where:
            return b.table
    raise LookupError(got.where)


def _read_tables(
    doc: Document, sections: dict[str, Section], reads: Reads | None = None
) -> tuple[dict[str, TableRead], dict[str, list[int]]]:
    """Each of tables 二/三/四: the table that reads best as it, under its own section when there is one,
    and the run of source tables it belongs to (its parts before and after a page break).

    A source table counts as table 三 only if it reads better as table 三 than as any other table,
    so a page without headings (or a table placed under the wrong heading) is still read right.
    """
    found: dict[str, TableRead] = {}
    runs: dict[str, list[int]] = {}
    best: dict[int, TableRead] = {}
    for i, b in enumerate(doc.blocks):
        if b.table is not None:
            got, made = identify_all(b.table)
            if reads is not None:
                reads[id(b.table)] = made
            if got is not None:
                best[i] = got
    owner = {id(b): key for key, s in sections.items() for b in s.blocks}
    section = [owner.get(id(b), "") for b in doc.blocks]
    order = sorted(best)
    for key, table in TABLE_SECTIONS.items():
        choices = [
            (got.score, i)
            for i, got in best.items()
            if got.table == table and section[i] in (key, "") and key in sections
        ] or [(got.score, i) for i, got in best.items() if got.table == table]
        if not choices:
            continue
        _, i = max(choices)
        found[table] = best[i]
        n = order.index(i)
        start, end = n, n + 1
        while start > 0 and best[order[start - 1]].table == table and section[order[start - 1]] == section[i]:
            start -= 1
        while end < len(order) and best[order[end]].table == table and section[order[end]] == section[i]:
            end += 1
        runs[table] = order[start:end]
    return found, runs


def _merged(parts: Sequence[TableRead]) -> TableRead:
    """One table from its parts in source order (a table cut by a page break, one part per 第二十条 block):
    each cell from the first part that shows it; a cell two parts show differently is a conflict."""
    first = parts[0]
    out = TableRead(first.table, first.version, first.where)
    for part in parts:
        for key, cell in part.cells.items():
            seen = out.cells.get(key)
            if seen is None:
                out.cells[key] = cell
            elif seen.text != cell.text:
                out.conflicts.append(f"{cell.spec.label}：{seen.where}为“{seen.text}”，{cell.where}为“{cell.text}”")
        out.unknown.extend(part.unknown)
        out.near.extend(part.near)
        out.conflicts.extend(part.conflicts)
    return out


def read_document(doc: Document, agency_id: str = "") -> Reading:
    """Read ``doc`` into an agency-year with its findings of reading (the checks are run by the audit)."""
    out: list[Diagnostic] = []
    cut = second_report(doc)
    if cut is not None:
        rest = doc.blocks[cut]
        out.append(
            _diag(
                "D1",
                doc,
                f"第六部分之后又开始了一份报告（{rest.where}“{rest.text.strip()[:40]}”）：只读取了第一份，"
                "请把每份年报分开发布或分开审核",
            )
        )
        doc = dataclasses.replace(doc, blocks=doc.blocks[:cut])
    preamble, sections, signature = find_sections(doc, out)
    title = _clean_title(clean_text(doc.title))
    published = doc.published
    where: dict[str, str] = {}
    assumed: list[str] = []
    if published:
        where["published"] = doc.published_where
    else:
        for b in signature:
            d = _date(b.text)
            if d:
                published = d
                where["published"] = f"落款日期（{b.where}）"
                assumed.append("发布日期取自落款日期（页面没有标明发布日期）")
    year, how = _year(title, preamble, published)
    if how:
        assumed.append(how)
    reads: Reads = {}
    tables, runs = _read_tables(doc, sections, reads)
    version = _decide_version(doc, tables, year, out, reads)
    if year is None:
        year = version.first_year
        assumed.append("报告年度无法读出，按格式版本推定")
        out.append(_diag("P4", doc, "标题、引言和发布日期中都没有报告年度，无法判断适用的格式", severity="warning"))
    reading = Reading(
        document=doc,
        agency_year=None,  # type: ignore[arg-type]  # set below, once the tables are settled
        title=title,
        sections=sections,
        tables={},
        where=where,
        findings=out,
        assumed=assumed,
    )
    for t, best in tables.items():
        parts = []
        for k in runs[t]:
            raw = doc.blocks[k].table
            assert raw is not None
            made = reads.get(id(raw), {}).get((version.id, best.table))
            parts.append(made if made is not None else read_table(raw, version, best.table))
        reading.tables[t] = _merged(parts)
    _not_assessable(reading, sections, version)
    _version_finding(reading, version, year)
    values = _values(reading, version)
    _mirror(reading)
    narrative = {
        key: _JINJA.sub("｛", clean_text(sections[key].text())) if key in sections else ""
        for key in formats.NARRATIVE_KEYS
    }
    for key in formats.NARRATIVE_KEYS:
        if key in sections:
            s = sections[key]
            last = s.blocks[-1].where if s.blocks else s.where
            where[f"narrative.{key}"] = s.where if last == s.where else f"{s.where}至{last}"
    name = _agency_name(doc.title, signature) or doc.source.stem
    reading.agency_year = AgencyYear(
        agency=Agency(agency_id or doc.source.stem, name, None, None, doc.source.parent),
        year=year,
        format=version,
        tables=values,
        published=published,
        narrative=Narrative(**narrative),
        path=doc.source,
    )
    return reading


def _not_assessable(reading: Reading, sections: dict[str, Section], version: FormatVersion) -> None:
    """D2 for a table that is a picture or missing; M2 for one recovered from text (or not recoverable)."""
    doc = reading.document
    for key, table in TABLE_SECTIONS.items():
        if table in reading.tables:
            continue
        name = version.table_title(table)
        section = sections.get(key)
        blocks = section.blocks if section else ()
        lines = [b for b in blocks if b.kind in ("lines", "paragraph")]
        recovered = _recover(reading, table, version, lines)
        if recovered:
            continue
        images = [b for b in blocks if b.kind == "image"]
        if images:
            why = (
                f"第{version.sections[key].split('、')[0]}部分没有表格数据，只有图片（{images[0].where}），"
                "可能为图片表格，无法校验"
            )
        elif section is None:
            why = f"没有找到{name}（第{version.sections[key].split('、')[0]}部分缺失），无法校验"
        else:
            why = f"第{version.sections[key].split('、')[0]}部分没有可读的表格（{section.where}起），无法校验"
        reading.unreadable.add(table)
        reading.findings.append(_diag("D2", doc, why, table=version.table_names[table]))


def _recover(reading: Reading, table: TableId, version: FormatVersion, blocks: Sequence[Block]) -> bool:
    """Cells of a flattened table, when its rows are labelled lines of digits and the identities fix them."""
    doc = reading.document
    offs = officials(version, table)
    rows: dict[str, str | list[int]] = {}
    places: dict[str, str] = {}
    labels = [] if table == "t4" else list(dict.fromkeys(o.row_path[-1] for o in offs))
    by_leaf = {o.row_path[-1]: o.spec.row for o in offs} if table != "t4" else {}
    texts = [(line, b.where) for b in blocks for line in b.text.splitlines() if line.strip()]
    for line, place in texts:
        line = clean_text(line)
        if table == "t4":
            digits = flat.digits_of(line)
            if digits and len(digits) >= len(offs) and flat.WHOLE not in rows:
                rows[flat.WHOLE] = digits
                places[flat.WHOLE] = place
            continue
        split = flat.split_line(line, labels)
        if split is None:
            continue
        label, digits = split
        got = match(label, tuple(labels))
        if got is None or by_leaf[got.label] in rows:
            continue
        row = by_leaf[got.label]
        numbers = flat.spaced_numbers(digits)
        run = flat.digits_of(digits)
        if numbers is not None and len(numbers) == len(version.layout[table][row]):
            rows[row] = numbers
        elif run is not None:
            rows[row] = run
        else:
            continue
        places[row] = place
    if not rows:
        return False
    name = version.table_title(table)
    result = flat.recover(version, table, rows)
    cells = result.cells
    if cells is None:
        reading.unreadable.add(table)
        reading.findings.append(
            _diag(
                "M2",
                doc,
                f"{name}只有纯文本（{places[next(iter(places))]}），数字连在一起，"
                f"无法唯一还原（{result.reason or f'{result.solutions}种切分都满足勾稽关系'}），无法校验",
                table=version.table_names[table],
            )
        )
        return True
    made = TableRead(table, version, places[next(iter(places))])
    for (r, c), n in cells.items():
        spec = version.cell(table, r, c)
        made.cells[(r, c)] = CellRead(spec, str(n), CellText("value", n), places.get(r, made.where), recovered=True)
    reading.tables[table] = made
    reading.recovered.add(table)
    how = "各行数字以空格分隔" if all(isinstance(v, list) for v in rows.values()) else result.note()
    reading.findings.append(
        _diag(
            "M2",
            doc,
            f"{name}由纯文本还原（{how}），已标明“还原”，请与原文核对",
            table=version.table_names[table],
        )
    )
    return True


def _version_finding(reading: Reading, version: FormatVersion, year: int) -> None:
    try:
        due = formats.for_year(year)
    except ValueError as e:
        reading.findings.append(_diag("P4", reading.document, str(e)))
        return
    if due.id == version.id or not reading.tables:
        return
    extra = ""
    if "t2" in reading.tables:
        own = [b.label for b in version.t2_blocks if b.label not in {d.label for d in due.t2_blocks}]
        extra = f"（含{'、'.join(own)}）" if own else ""
    reading.findings.append(
        _diag(
            "P4",
            reading.document,
            f"{year}年度报告使用了{version.name}{extra}的表格，本年度应使用{due.name}（{due.basis}）",
            found=version.id,
            expected=due.id,
        )
    )


def _zero(kind: str) -> Value:
    return Amount(Decimal(0), "万元") if kind == "amount" else 0


def _values(reading: Reading, version: FormatVersion) -> Tables:
    """Every cell of the version: what the source says, or 0 where it says nothing (counted in Q3)."""
    doc = reading.document
    tables: Tables = {t: {r: {} for r in rows} for t, rows in version.layout.items()}
    for spec in version.cells:
        tables[spec.table][spec.row][spec.column] = _zero(spec.kind)
    for t, got in reading.tables.items():
        name = version.table_names[t]
        nothing: list[str] = []
        for (r, c), cell in got.cells.items():
            f = f"tables.{t}.{r}.{c}"
            reading.where[f] = cell.where + ("（由纯文本还原）" if cell.recovered else "")
            read = cell.read
            if read.status == "value" and read.value is not None:
                tables[t][r][c] = read.value
                if read.converted:
                    reading.findings.append(
                        _diag("T4", doc, f"{cell.spec.label}：{read.note}（{cell.where}）", table=name, field=f)
                    )
                elif read.note:
                    reading.assumed.append(f"{cell.spec.label}：{read.note}")
                continue
            reading.blanks.setdefault(t, []).append(cell)
            shown = cell.text.strip() or "空白"
            why = f"，{read.note}" if read.status == "bad" and read.note else ""
            nothing.append(
                f"{cell.spec.row_label + '/' if cell.spec.row_label else ''}{cell.spec.column_label}“{shown}”{why}"
            )
        counts: dict[str, int] = {}
        for cell in reading.blanks.get(t, []):
            counts[STATUS_WORDS[cell.read.status]] = counts.get(STATUS_WORDS[cell.read.status], 0) + 1
        missing = got.missing()
        reading.unlisted.update((m.table, m.row, m.column) for m in missing)
        if nothing:
            kinds = "、".join(f"{k}{n}个" for k, n in counts.items())
            reading.findings.append(
                _diag(
                    "Q3",
                    doc,
                    f"表{name}有{len(nothing)}个单元格不是数字（{kinds}），按 0 计入校验，"
                    f"未当作已填报：{_listing(nothing)}",
                    table=name,
                )
            )
        if missing:
            labels = [f"{m.row_label + '/' if m.row_label else ''}{m.column_label}" for m in missing]
            reading.findings.append(
                _diag(
                    "Q3",
                    doc,
                    f"表{name}缺少格式中的{len(missing)}个单元格（行或列没有列出），按 0 计入校验：{_listing(labels)}",
                    table=name,
                )
            )
        notes = [f"“{n.text}”（{n.where}）" for n in got.unknown]
        if notes:
            reading.findings.append(
                _diag("M4", doc, f"表{name}中有格式以外的行或列，未读入：{_listing(notes)}", table=name)
            )
        near = [f"“{n.text}”按“{n.official}”读入（{n.where}）" for n in got.near]
        if near:
            reading.findings.append(_diag("M4", doc, f"表{name}中的标签与格式不同：{_listing(near)}", table=name))
        if got.conflicts:
            reading.findings.append(
                _diag(
                    "M4",
                    doc,
                    f"表{name}中同一单元格出现两次且数字不同，取第一次：{_listing(got.conflicts)}",
                    table=name,
                )
            )
    return tables


def _mirror(reading: Reading) -> None:
    doc = reading.document
    text = "\n".join(b.text for b in doc.blocks if b.kind == "paragraph")
    signs: list[str] = []
    host = urlsplit(doc.url).hostname or "" if doc.url else ""
    if host and not (host == "gov.cn" or host.endswith(".gov.cn")):
        signs.append(f"页面地址为 {host}，不是政府网站（.gov.cn）")
    changed = sum(1 for a, b in zip(text, simplified(text), strict=False) if a != b)
    if changed >= MIRROR_TRADITIONAL_MIN:
        signs.append(f"正文为繁体字（{changed}个字已转为简体）")
    pinyin = _PINYIN.findall(text)
    if pinyin:
        signs.append(f"正文中夹注拼音{len(pinyin)}处（已去掉）")
    dropped = _DROPPED.findall(unicodedata.normalize("NFKC", text))
    if dropped:
        signs.append(f"疑似丢字{len(dropped)}处（如“{dropped[0]}”：年份与文号或日期连在一起）")
    if signs:
        reading.findings.append(_diag("M1", doc, "来源疑为镜像站：" + "；".join(signs) + "。数字须与政府网站原文核对"))
