"""The narrative's placeholder sandbox from the outside: hostile templates are rule N1, fast and within a
memory cap; every documented placeholder form still works; ``--allow-invalid`` renders a narrative that
cannot be filled, with the broken placeholder visible and the red banner naming it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import lxml.html
import pytest

from xxgk import formats
from xxgk.data import placeholders, synthetic
from xxgk.data.figures import figures
from xxgk.data.model import Agency, Facts, Narrative
from xxgk.report.narrative import BROKEN_PLACEHOLDER, NarrativeError, fill, section_html

from .conftest import EXAMPLES

XXGK = Path(sys.executable).parent / "xxgk"
MEMORY_CAP = 1 << 30  # 1 GiB of address space for the whole `xxgk check` process
GUARD_SECONDS = 30  # generous: each case takes well under a second once bounded
SEED = "lanzhou-xinqu-audit/2020.yaml"  # the example that cites facts.channels in a loop
OTHER = formats.for_year(2020).sections["other"]
BUREAU = Agency("qingshan-edu", "青山县教育局", "县级", None, Path())

NINE_LOOPS = "".join(f"{{% for v{i} in facts.channels %}}" for i in range(9)) + "{{ v8.items }}" + "{% endfor %}" * 9


def _data_file(tmp: Path, other: str, channels: int = 10, agency: str = "lanzhou-xinqu-audit") -> Path:
    """The seed example with ``narrative.other`` set to ``other`` and ``channels`` channels (adding up, for F1)."""
    text = (EXAMPLES / SEED).read_text(encoding="utf-8")
    items = "".join(f"  - name: 渠道{i}\n    items: 1\n" for i in range(channels))
    facts = f"facts:\n  proactive_items: {channels}\n  channels:\n{items}  other:\n    internal_rules: 5\n"
    text = re.sub(r"(?ms)^facts:\n.*?(?=^tables:)", lambda _: facts, text)
    # A JSON string is a YAML double-quoted scalar: any template, written exactly.
    text = re.sub(r"(?m)^  other: .*$", lambda _: "  other: " + json.dumps(other, ensure_ascii=False), text)
    path = tmp / agency / "2020.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "agency.yaml").write_bytes((EXAMPLES / "lanzhou-xinqu-audit" / "agency.yaml").read_bytes())
    path.write_text(text, encoding="utf-8")
    return path


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _check_capped(path: Path) -> tuple[int, list[dict[str, object]], str]:
    """``xxgk check FILE --format json`` in its own process, with 1 GiB of memory and a time guard."""
    done = subprocess.run(
        [XXGK, "check", path, "--format", "json"],
        capture_output=True,
        text=True,
        preexec_fn=_cap_memory,
        timeout=GUARD_SECONDS,
    )
    return done.returncode, json.loads(done.stdout or "[]"), done.stderr


# --- hostile templates are rule N1, within 1 GiB and a few seconds -----------------------------------

HOSTILE = {
    "nine nested loops over ten channels": NINE_LOOPS,
    "two nested loops": "{% for a in facts.channels %}{% for b in facts.channels %}x{% endfor %}{% endfor %}",
    "huge format width": "{{ '%0999999999d'|format(1) }}",
    "format through a loop": "{% for c in facts.channels %}{{ '%0999999d'|format(c.items) }}{% endfor %}",
    "string formatting operator": "{{ '%0999999999d' % 1 }}",
    "range": "{% for i in range(100000000) %}x{% endfor %}",
    "lipsum": "{{ lipsum(n=100000, min=1000, max=1000) }}",
    "cycler": "{{ cycler(1, 2).next() }}",
    "class escape": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals escape": "{{ cycler.__init__.__globals__.os }}",
    "set": "{% set x = facts.channels %}{{ x[0].name }}",
    "set block": "{% set x %}很长{% endset %}{{ x }}",
    "recursive macro": "{% macro m(n) %}{{ m(n) }}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "recursive loop": "{% for c in facts.channels recursive %}{{ loop(facts.channels) }}{% endfor %}",
    "replace doubling": "{{ 'ab'" + "|replace('', 'abcdefghij')" * 9 + " }}",
    "string repetition": "{{ 'x' * 1000000000 }}",
    "power": "{{ 9 ** 9 ** 9 }}",
    "concatenation": "{{ '文字' ~ facts.channels[0].name ~ '文字' }}",
    "filter block": "{% filter center(1000000000) %}x{% endfilter %}",
    "with block": "{% with x = 1 %}{{ x }}{% endwith %}",
    "deep parentheses": "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
    "deeply nested if": "{% if 1 %}" * 400 + "x" + "{% endif %}" * 400,
    "as many placeholders as a file may hold": "{{ applications.new }}" * (placeholders.MAX_SOURCE_CHARS // 22),
    "many sequential loops over many channels": "{% for c in facts.channels %}{% endfor %}" * 400,
    "a loop body of many tags over many channels": (
        "{% for c in facts.channels %}" + "{% if applications.new > 99999 %}x{% endif %}" * 400 + "{% endfor %}"
    ),
}
MEGABYTE = "{{ applications.new }}" * (1_000_000 // len("{{ applications.new }}"))


def test_hostile_templates_are_n1_within_a_memory_cap(tmp_path: Path) -> None:
    """Every hostile template at once, each in a body of its own, in one capped ``xxgk check`` of the tree:
    one process for all (the fast loop stays fast), yet each body must get exactly its own N1."""
    agencies = {f"case-{i:02d}": case for i, case in enumerate(HOSTILE)}
    for agency, case in agencies.items():
        _data_file(tmp_path, HOSTILE[case], 300 if "many channels" in case else 10, agency)
    started = time.monotonic()
    code, found, stderr = _check_capped(tmp_path)
    assert "Traceback" not in stderr and "MemoryError" not in stderr, stderr[-2000:]
    assert code == 1
    assert all(f["rule"] == "N1" for f in found), "the rest of each data file is right: only the narrative fails"
    for agency, case in agencies.items():
        n1 = [f for f in found if f["agency"] == agency]
        assert len(n1) == 1, (case, n1)
        assert n1[0]["field"] == "narrative.other", case
        assert str(n1[0]["message"]).startswith(f"{OTHER}："), case
    assert time.monotonic() - started < GUARD_SECONDS


def test_one_megabyte_of_placeholders_is_refused_within_a_memory_cap(tmp_path: Path) -> None:
    """The data file reader refuses the text (P0) before the sandbox sees it; the sandbox refuses it on its own too."""
    code, found, stderr = _check_capped(_data_file(tmp_path, MEGABYTE))
    assert code in (1, 2) and "Traceback" not in stderr and "MemoryError" not in stderr
    assert [f["field"] for f in found] == ["narrative.other"]
    started = time.monotonic()
    with pytest.raises(NarrativeError, match=str(placeholders.MAX_SOURCE_CHARS)):
        fill(MEGABYTE, figures(synthetic.agency_year(BUREAU, 2023, seed=2)))
    assert time.monotonic() - started < GUARD_SECONDS


def test_many_channels_cannot_make_a_short_template_huge(tmp_path: Path) -> None:
    """One loop is allowed, but its output is bounded: 200 channels through a 300-character body is refused."""
    body = "{% for c in facts.channels %}" + "各渠道发布信息情况良好。" * 25 + "{% endfor %}"
    code, found, stderr = _check_capped(_data_file(tmp_path, body, channels=200))
    assert code == 1 and "Traceback" not in stderr
    (n1,) = found  # the seed's own loop over the channels in the overview is still short enough
    assert n1["rule"] == "N1" and str(n1["message"]).startswith(f"{OTHER}：")
    assert "过长" in str(n1["message"]) and f"{placeholders.MAX_OUTPUT_RATIO} 倍" in str(n1["message"])


def test_refusals_say_what_is_allowed() -> None:
    f = figures(synthetic.agency_year(BUREAU, 2023, seed=2))
    for text, what in (
        ("正文\n{% set x = 1 %}", "{% set %}"),
        ("{% macro m() %}x{% endmacro %}", "{% macro %}"),
        ("{{ 'a' ~ 'b' }}", "~"),
        ("{{ applications.new * 2 }}", "*"),
        ("{{ applications.new|format(1) }}", "format"),
    ):
        with pytest.raises(NarrativeError) as err:
            fill(text, f)
        message = str(err.value)
        assert what in message, message
        assert placeholders.SYNTAX in message
    with pytest.raises(NarrativeError, match=r"第 2 行"):
        fill("正文\n{% set x = 1 %}", f)
    with pytest.raises(NarrativeError, match=str(placeholders.MAX_SOURCE_CHARS)):
        fill("文" * placeholders.MAX_SOURCE_CHARS + "{{ year }}", f)


# --- every documented form keeps working -------------------------------------------------------------


def test_documented_forms_still_fill_and_check_clean(tmp_path: Path) -> None:
    """The README's sentence, the seed's channel loop and the forms of tests/test_narrative.py, through `xxgk check`."""
    forms = (
        "本年度共新收政府信息公开申请{{ applications.new }}件，办结{{ applications.handled }}件。"
        "规章{{ disclosure.rules.made }}件；首个渠道{{ facts.channels[0].name }}，"
        "末个{{ facts.channels[-1].items }}条；"
        "制度{{ facts.internal_rules }}项；{{ facts.proactive_items | default('若干') }}条；共{{ year }}年。\n"
        "{% for c in facts.channels %}{{ loop.index }}.{{ c.name }}{{ c.items }}条"
        "{% if not loop.last %}、{% else %}。{% endif %}{% endfor %}\n"
        "{% if review.total + litigation.total > 0 %}有复议或诉讼{% else %}无复议和诉讼{% endif %}；"
        "渠道{{ facts.channels|length }}个，合计{{ facts.channels|sum(attribute='items') }}条，"
        "差{{ applications.new - applications.handled }}件，约{{ (applications.new + 0.25)|round(1, 'floor') }}。"
    )
    code, found, stderr = _check_capped(_data_file(tmp_path, forms, channels=3))
    assert (code, found) == (0, []), stderr
    from xxgk.data import tree

    ay = tree.read_year(tmp_path / SEED, tree.read_agency(tmp_path / "lanzhou-xinqu-audit"))
    apps = figures(ay)["applications"]
    assert fill(forms, figures(ay)) == (
        f"本年度共新收政府信息公开申请{apps['new']}件，办结{apps['handled']}件。"
        f"规章{figures(ay)['disclosure']['rules']['made']}件；首个渠道渠道0，末个1条；制度5项；3条；共2020年。\n"
        "1.渠道01条、2.渠道11条、3.渠道21条。\n"
        f"无复议和诉讼；渠道3个，合计3条，差{apps['new'] - apps['handled']}件，约{apps['new']}.2。"
    )


def test_xxgk_placeholders_lists_only_names_that_fill(run_cli) -> None:
    """Every name `xxgk placeholders` prints is accepted by the sandbox (lists are looped over instead)."""
    code, out, _ = run_cli("placeholders")
    assert code == 0
    names = re.findall(r"^\{\{ (\S+) \}\}", out, flags=re.M)
    assert "applications.new" in names and "facts.channels" in names
    facts = Facts(proactive_items=1, channels=({"name": "网站", "items": 1},), other={"internal_rules": 2})  # type: ignore[arg-type]
    for year in (2020, 2023):
        ay = synthetic.agency_year(BUREAU, year, seed=1)
        f = figures(dataclasses.replace(ay, facts=facts))
        valid = set(placeholders._names(f))
        for name in names:
            if name in valid and name != "facts.channels":
                assert fill(f"{{{{ {name} | default('无') }}}}", f)


# --- --allow-invalid with a narrative that cannot be filled -------------------------------------------


def test_broken_placeholder_is_marked_when_rendering_despite_errors() -> None:
    ay = synthetic.agency_year(BUREAU, 2023, seed=2)
    text = "新收申请{{ applications.new }}件，\n见{{ applications.nwe }}与{{ '<script>alert(1)</script>' ~ 1 }}。"
    ay = dataclasses.replace(ay, narrative=Narrative(overview=text))
    with pytest.raises(NarrativeError):  # without allow_invalid the section is not rendered
        section_html(ay, "overview")
    html = section_html(ay, "overview", allow_invalid=True)
    page = lxml.html.fragment_fromstring(html, create_parent="div")
    assert f"新收申请{figures(ay)['applications']['new']}件" in page.text_content()
    marked = [c.text_content() for c in page.iter("code")]
    assert marked == ["{{ applications.nwe }}", "{{ '<script>alert(1)</script>' ~ 1 }}"]
    assert not page.findall(".//script")
    assert BROKEN_PLACEHOLDER in page.text_content()


@pytest.mark.slow
def test_render_allow_invalid_with_an_n1_narrative(params: Path, tmp_path: Path, run_cli) -> None:
    data = params / "shiqiao-town" / "2023.yaml"
    text = data.read_text(encoding="utf-8")
    data.write_text(text.replace("{{ applications.new }}", "{{ applications.nwe }}"), encoding="utf-8")
    outputs = tmp_path / "outputs"

    code, out, err = run_cli("render", "shiqiao-town", "2023", "--params", params, "--outputs", outputs)
    assert code == 1 and "N1" in out + err and not (outputs / "shiqiao-town" / "2023").exists()

    code, _, err = run_cli(
        "render", "shiqiao-town", "2023", "--allow-invalid", "--params", params, "--outputs", outputs
    )
    assert code == 0, err
    report = outputs / "shiqiao-town" / "2023"
    page = lxml.html.fromstring((report / "report.html").read_bytes())
    (banner,) = page.find_class("findings")
    assert "N1" in banner.text_content() and "applications.nwe" in banner.text_content()
    assert formats.for_year(2023).sections["overview"] in banner.text_content()
    (overview,) = page.find_class("overview")
    assert "{{ applications.nwe }}" in [c.text_content() for c in overview.iter("code")]
    assert "石桥镇人民政府结合基层实际" in overview.text_content()
    first_page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", report / "report.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "N1" in first_page and "applications.nwe" in first_page
