"""No user input anywhere ends in a Python traceback: every command, given what a user could type, answers with
a message and a documented exit code (1 data errors, 2 input that cannot be used), and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import tree_digest

# (arguments, expected exit code). Paths under {tmp} are made per test; {params} is a copy of the examples.
CASES: list[tuple[tuple[str, ...], int]] = [
    (("check", "{tmp}/nowhere"), 2),
    (("check", "--params", "{tmp}/nowhere"), 2),
    (("check", "--format", "xml"), 2),
    (("render", "Bad_Id", "2023"), 2),
    (("render", "no-such-body", "2023"), 2),
    (("render", "shiqiao-town", "abcd"), 2),
    (("render", "shiqiao-town", "1999"), 2),
    (("render", "shiqiao-town", "20000"), 2),
    (("render", "shiqiao-town", "2023", "--timeout", "-1"), 2),
    (("render", "shiqiao-town", "2023", "--timeout", "soon"), 2),
    (("render", "shiqiao-town", "2023", "--outputs", "{tmp}/a-file"), 2),
    (("build", "--jobs", "0"), 2),
    (("build", "--jobs", "-3"), 2),
    (("build", "--year", "1800"), 2),
    (("build", "--agency", "../escape"), 2),
    (("build", "--params", "{tmp}/nowhere"), 2),
    (("build", "--outputs", "{tmp}/a-file"), 2),
    (("build", "--lock-timeout", "never"), 2),
    (("verify", "--agency", "UPPER"), 2),
    (("export", "-o", "{tmp}/a-file/all.csv"), 2),
    (("export", "-o", "{tmp}"), 2),
    (("import", "{tmp}/nothing.csv"), 2),
    (("import", "{tmp}"), 2),
    (("import", "{tmp}/empty.csv"), 2),
    (("import", "{tmp}/binary.csv"), 2),
    (("new", "fresh-body", "2024", "--name", "新机关", "--level", "区级"), 2),
    (("new", "shiqiao-town", "99999"), 2),
    (("new", "shiqiao-town", "-5"), 2),
    (("new", "x" * 300, "2024", "--name", "长名"), 2),
    (("new", "shiqiao-town", "2023"), 2),
    (("new", "fresh-body", "2024"), 2),
    (("no-such-command",), 2),
]


@pytest.mark.parametrize(("argv", "code"), CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_every_command_answers_bad_input_with_a_message(
    argv: tuple[str, ...], code: int, params: Path, tmp_path: Path, run_cli, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 4)
    args = [a.replace("{tmp}", str(tmp_path)).replace("{params}", str(params)) for a in argv]
    if "--params" not in args and args[0] not in ("no-such-command",):
        args += ["--params", str(params)]
    if args[0] in ("build", "verify") and "--outputs" not in args:
        args += ["--outputs", str(tmp_path / "outputs")]
    before = tree_digest(params)
    try:
        got, _, err = run_cli(*args)
    except SystemExit as e:  # argparse: usage errors exit 2 with its own message
        got, err = int(e.code or 0), capsys.readouterr().err
    assert got == code, err
    assert err.strip() and "Traceback" not in err
    assert tree_digest(params) == before
