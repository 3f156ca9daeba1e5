"""Build checks during real builds, as `docker build` runs them: BuildKit's rules only, the `# check=`
directive, `--build-arg`s, warnings printed at the end, `error=true` failing before any step, `--check`
running the checks alone, and the unchanged-rebuild short cut returning the warnings without the linter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pybuildkit.errors import DockerfileError
from pybuildkit.execute.checks import BuildCheckError, source_frame
from pybuildkit.execute.session import build
from tests.e2e.conftest import Workspace
from tests.support import REPO

CLI = Callable[[list[str]], tuple[int, str, str]]

CLEAN = 'FROM busybox AS base\nCOPY a /a\nCMD ["cat", "/a"]\n'
# FromAsCasing, MaintainerDeprecated, JSONArgsRecommended; DL rules (untagged FROM, MAINTAINER) stay quiet.
NOISY = "FROM busybox as base\nMAINTAINER me\nCOPY a /a\nCMD cat /a\n"
NOISY_RULES = ["FromAsCasing", "MaintainerDeprecated", "JSONArgsRecommended"]


def _store_files(root: Path) -> list[tuple[str, int]]:
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size)
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(".lock")
    )


def _build(ws: Workspace, dockerfile: str, **options: object) -> list[str]:
    ws.write({"Dockerfile": dockerfile, "a": "a\n"})
    result = build(ws.context, root=ws.root, **options)  # type: ignore[arg-type]
    return [w.short for w in result.warnings]


CASES = [
    pytest.param(CLEAN, {}, [], id="clean"),
    pytest.param(
        NOISY,
        {},
        [
            "FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)",
            "MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)",
            "JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior "
            "related to OS signals (line 4)",
        ],
        id="noisy",
    ),
    pytest.param(
        "# check=skip=FromAsCasing,MaintainerDeprecated\n" + NOISY,
        {},
        [
            "JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior "
            "related to OS signals (line 5)"
        ],
        id="skip-directive",
    ),
    pytest.param("# check=skip=all\n" + NOISY, {}, [], id="skip-all"),
    pytest.param(
        "FROM busybox AS base\nCOPY a /a\n# check=skip=JSONArgsRecommended\nCMD cat /a\n",
        {},
        [],
        id="skip-comment-above-instruction",
    ),
    pytest.param(
        "FROM busybox\nARG DIR=app\nWORKDIR $DIR\nCOPY a a\n",
        {},
        [
            'WorkdirRelativePath: Relative workdir "app" can have unexpected results if the base image changes (line 3)'
        ],
        id="arg-default",
    ),
    pytest.param(
        "FROM busybox\nARG DIR=app\nWORKDIR $DIR\nCOPY a a\n",
        {"build_args": {"DIR": "/srv"}},
        [],
        id="build-arg",
    ),
]


# A stage the build does not need reports the checks BuildKit runs over every stage (FromAsCasing), not
# those it runs while dispatching one (JSONArgsRecommended): BuildKit dispatches only the needed stages.
STAGES = "FROM busybox as unused\nCMD echo unused\nFROM busybox AS app\nCOPY a /a\nCMD echo app\n"
_CASING = "FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)"
_JSON = "JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals"
# UndefinedVar in a build knows the base image's ENV (busybox's PATH), as BuildKit's dispatch does.
_UNDEFINED = "UndefinedVar: Usage of undefined variable"
CASES += [
    pytest.param("FROM busybox\nENV X=$FOO\n", {}, [f"{_UNDEFINED} '$FOO' (line 2)"], id="undefined-var"),
    pytest.param("FROM busybox\nENV P=$PATH:/x\n", {}, [], id="var-from-the-base-image"),
    pytest.param(
        "FROM busybox\nENV X=$PAHT\n",
        {},
        [f"{_UNDEFINED} '$PAHT' (did you mean $PATH?) (line 2)"],
        id="near-miss",
    ),
    pytest.param("FROM busybox\nARG A\nENV X=$A\n", {}, [], id="declared-arg"),
    pytest.param("# check=skip=UndefinedVar\nFROM busybox\nENV X=$FOO\n", {}, [], id="undefined-var-skipped"),
    pytest.param(
        "FROM busybox\n# check=skip=UndefinedVar\nENV X=$FOO\nENV Y=$BAR\n",
        {},
        [f"{_UNDEFINED} '$BAR' (line 4)"],
        id="undefined-var-skipped-above-one",
    ),
    pytest.param(STAGES, {}, [_CASING, f"{_JSON} (line 5)"], id="unneeded-stage"),
    pytest.param(STAGES, {"target": "unused"}, [_CASING, f"{_JSON} (line 2)"], id="target"),
]


@pytest.mark.parametrize(("dockerfile", "options", "expected"), CASES)
def test_build_returns_buildkit_warnings(
    workspace: Workspace, dockerfile: str, options: dict[str, object], expected: list[str]
) -> None:
    assert _build(workspace, dockerfile, **options) == expected


def test_cli_prints_warnings_after_the_build(workspace: Workspace, cli: CLI) -> None:
    workspace.write({"Dockerfile": NOISY, "a": "a\n"})
    code, out, err = cli(
        ["build", "--root", str(workspace.root), "--progress", "plain", str(workspace.context)]
    )
    assert code == 0, err
    assert out.startswith("sha256:")
    # buildx's printWarnings: a blank line, the count, one ` - Rule: message (line N)` per warning, last.
    assert err.endswith(
        "\n\n 3 warnings found (use docker --debug to expand):\n"
        " - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)\n"
        " - MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)\n"
        " - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related"
        " to OS signals (line 4)\n"
    ), err


def test_debug_expands_each_warning(workspace: Workspace, cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace.write({"Dockerfile": "FROM busybox as base\nCOPY a /a\n", "a": "a\n"})
    monkeypatch.chdir(workspace.tmp)
    code, _, err = cli(["--debug", "build", "--root", str(workspace.root), "--progress", "plain", "context"])
    assert code == 0, err
    # `docker --debug build`: the rule's description, its docs link and BuildKit's source excerpt.
    assert err.endswith(
        "\n\n 1 warning found:\n"
        " - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)\n"
        "The 'as' keyword should match the case of the 'from' keyword\n"
        "More info: https://docs.docker.com/go/dockerfile/rule/from-as-casing/\n"
        "context/Dockerfile:1\n"
        "--------------------\n"
        "   1 | >>> FROM busybox as base\n"
        "   2 |     COPY a /a\n"
        "   3 |     \n"
        "--------------------\n"
        "\n"
    ), err


@pytest.mark.parametrize("flag", [["-q"], ["--progress", "quiet"]], ids=["q", "progress-quiet"])
def test_quiet_prints_no_warnings(workspace: Workspace, cli: CLI, flag: list[str]) -> None:
    workspace.write({"Dockerfile": NOISY, "a": "a\n"})
    code, out, err = cli(["build", "--root", str(workspace.root), *flag, str(workspace.context)])
    assert (code, err) == (0, "")
    assert out.startswith("sha256:")


def test_a_clean_build_prints_no_warning(workspace: Workspace, cli: CLI) -> None:
    workspace.write({"Dockerfile": CLEAN, "a": "a\n"})
    code, _, err = cli(
        ["build", "--root", str(workspace.root), "--progress", "plain", str(workspace.context)]
    )
    assert code == 0, err
    assert "warning" not in err


def test_error_true_fails_before_any_step(
    workspace: Workspace, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.write({"Dockerfile": "# check=error=true\n" + NOISY, "a": "a\n"})
    monkeypatch.chdir(workspace.tmp)
    before = _store_files(workspace.root)
    code, out, err = cli(
        ["build", "--root", str(workspace.root), "--progress", "plain", "-t", "app", "context"]
    )
    assert (code, out) == (1, "")
    # No step ran (no progress line at all), the warnings, then BuildKit's error.
    assert err == (
        "\n 3 warnings found (use docker --debug to expand):\n"
        " - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 2)\n"
        " - MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 3)\n"
        " - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related"
        " to OS signals (line 5)\n"
        "context/Dockerfile: lint violation found for rules: FromAsCasing, JSONArgsRecommended,"
        " MaintainerDeprecated\n"
        "hint: fix the Dockerfile, or skip a rule with # check=skip=RULE (or drop error=true)\n"
    ), err
    assert _store_files(workspace.root) == before


def test_error_true_library_error_carries_the_warnings(workspace: Workspace) -> None:
    workspace.write({"Dockerfile": "# check=error=true\nFROM busybox as base\nCOPY a /a\n", "a": "a\n"})
    with pytest.raises(BuildCheckError) as caught:
        build(workspace.context, root=workspace.root)
    assert caught.value.message == "lint violation found for rules: FromAsCasing"
    assert [w.rule for w in caught.value.warnings] == ["FromAsCasing"]


def test_error_true_without_a_warning_builds(workspace: Workspace) -> None:
    assert _build(workspace, "# check=error=true\n" + CLEAN) == []


def test_error_true_with_the_firing_rule_skipped_builds(workspace: Workspace) -> None:
    assert _build(workspace, "# check=error=true;skip=FromAsCasing\nFROM busybox as base\nCOPY a /a\n") == []


BAD_DIRECTIVE = "# check=error=maybe\nFROM busybox\nCOPY a /a\n"
BAD_DIRECTIVE_ERROR = (
    "context/Dockerfile:1:1: failed to parse check options: failed to parse check option "
    '"error=maybe": strconv.ParseBool: parsing "maybe": invalid syntax\n'
    " 1 | >>> # check=error=maybe\n"
    " 2 |     FROM busybox\n"
    "hint: error= takes true or false\n"
)


@pytest.mark.parametrize("check", [[], ["--check"]], ids=["build", "check"])
def test_bad_check_directive_is_refused(
    workspace: Workspace, cli: CLI, monkeypatch: pytest.MonkeyPatch, check: list[str]
) -> None:
    workspace.write({"Dockerfile": BAD_DIRECTIVE, "a": "a\n"})
    monkeypatch.chdir(workspace.tmp)
    before = _store_files(workspace.root)
    code, out, err = cli(["build", "--root", str(workspace.root), "--progress", "plain", *check, "context"])
    assert (code, out, err) == (1, "", BAD_DIRECTIVE_ERROR)
    assert _store_files(workspace.root) == before


def test_bad_check_directive_library(workspace: Workspace) -> None:
    workspace.write({"Dockerfile": BAD_DIRECTIVE, "a": "a\n"})
    with pytest.raises(DockerfileError, match="failed to parse check options"):
        build(workspace.context, root=workspace.root)


def test_check_flag_runs_only_the_checks(
    workspace: Workspace, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.write({"Dockerfile": "FROM busybox as base\nCOPY a /a\n", "a": "a\n"})
    monkeypatch.chdir(workspace.tmp)
    before = _store_files(workspace.root)
    code, out, err = cli(["build", "--root", str(workspace.root), "--check", "-t", "app", "context"])
    assert (code, err) == (1, "")
    # buildx's `build --call=check` output: the count, then each warning with its docs link and source.
    assert out == (
        "Check complete, 1 warning has been found!\n"
        "\n"
        "WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/\n"
        "'as' and 'FROM' keywords' casing do not match\n"
        "context/Dockerfile:1\n"
        "--------------------\n"
        "   1 | >>> FROM busybox as base\n"
        "   2 |     COPY a /a\n"
        "   3 |     \n"
        "--------------------\n"
    ), out
    assert _store_files(workspace.root) == before  # nothing built, nothing tagged


def test_check_flag_reports_every_stage(workspace: Workspace, cli: CLI) -> None:
    workspace.write({"Dockerfile": STAGES, "a": "a\n"})
    code, out, _ = cli(["build", "--root", str(workspace.root), "--check", str(workspace.context)])
    assert code == 1
    assert out.startswith("Check complete, 3 warnings have been found!\n"), out


def test_check_flag_with_a_target_checks_what_it_needs(workspace: Workspace, cli: CLI) -> None:
    workspace.write({"Dockerfile": STAGES, "a": "a\n"})
    argv = ["build", "--root", str(workspace.root), "--check", "--target", "unused", str(workspace.context)]
    code, out, _ = cli(argv)
    assert code == 1
    assert out.startswith("Check complete, 2 warnings have been found!\n"), out
    assert "(line 5)" not in out and ">>> CMD echo app" not in out


def test_check_flag_unknown_target(workspace: Workspace, cli: CLI) -> None:
    workspace.write({"Dockerfile": CLEAN, "a": "a\n"})
    code, out, err = cli(
        ["build", "--root", str(workspace.root), "--check", "--target", "nope", str(workspace.context)]
    )
    assert (code, out) == (1, "")
    assert "nope" in err and "Traceback" not in err


def test_check_flag_clean(workspace: Workspace, cli: CLI) -> None:
    workspace.write({"Dockerfile": CLEAN, "a": "a\n"})
    code, out, err = cli(["build", "--root", str(workspace.root), "--check", str(workspace.context)])
    assert (code, out, err) == (0, "Check complete, no warnings found.\n", "")


def test_check_flag_reports_what_the_build_rejects(workspace: Workspace, cli: CLI) -> None:
    workspace.write({"Dockerfile": "FROM busybox\nCOPPY a /a\n", "a": "a\n"})
    code, out, err = cli(["build", "--root", str(workspace.root), "--check", str(workspace.context)])
    assert (code, out) == (1, "")
    assert "COPPY" in err and "Traceback" not in err


FRAMES = [
    pytest.param(
        "a\nb\nc\nd\ne\nf\n",
        3,
        3,
        ["   1 |     a", "   2 |     b", "   3 | >>> c", "   4 |     d", "   5 |     e"],
        id="middle",
    ),
    pytest.param("a\nb\n", 1, 1, ["   1 | >>> a", "   2 |     b", "   3 |     "], id="first"),
    pytest.param(
        "a\nb\nc\nd\n", 2, 3, ["   1 |     a", "   2 | >>> b", "   3 | >>> c", "   4 |     d"], id="span"
    ),
]


@pytest.mark.parametrize(("text", "start", "end", "lines"), FRAMES)
def test_source_frame_pads_as_buildkit(text: str, start: int, end: int, lines: list[str]) -> None:
    # errdefs.Source.Print: a one-line range gets 4 lines of padding, a longer one 2, taken where lines exist.
    rule = "-" * 20
    assert (
        source_frame(text, "Dockerfile", start, end)
        == "\n".join([f"Dockerfile:{start}", rule, *lines, rule]) + "\n"
    )


_SHORTCUT = """
import sys
from pybuildkit.execute.session import build
result = build(sys.argv[1], root=sys.argv[2])
print(result.short_circuited, [w.rule for w in result.warnings], "pybuildkit.linter" in sys.modules)
"""


def test_unchanged_rebuild_returns_the_warnings_without_linting(workspace: Workspace) -> None:
    workspace.write({"Dockerfile": NOISY, "a": "a\n"})
    # Age the files past the short cut's racy window, so the first build records its result.
    import os

    for path in workspace.context.iterdir():
        os.utime(path, (1_600_000_000, 1_600_000_000))
    argv = [sys.executable, "-c", _SHORTCUT, str(workspace.context), str(workspace.root)]
    first = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"False {NOISY_RULES} True"
    again = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert again.returncode == 0, again.stderr
    # The short cut took the recorded image and warnings, and never imported the linter.
    assert again.stdout.strip() == f"True {NOISY_RULES} False"
