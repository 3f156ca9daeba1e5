"""`pybuildkit parse`, called in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pybuildkit.cli import main
from tests.support import REPO

HEREDOCS = REPO / "fixtures" / "syntax" / "heredocs" / "Dockerfile"


def run(capsysbinary: pytest.CaptureFixture[bytes], *argv: str) -> tuple[int, str, str]:
    status = main(["parse", *argv])
    out, err = capsysbinary.readouterr()
    return status, out.decode(), err.decode()


def test_source_round_trips_bytes(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path = REPO / "fixtures" / "syntax" / "crlf" / "Dockerfile"
    status = main(["parse", "--format", "source", str(path)])
    assert status == 0
    assert capsysbinary.readouterr().out == path.read_bytes()


def test_sexp(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    status, out, _ = run(capsysbinary, "--format", "sexp", str(HEREDOCS))
    assert status == 0
    assert out == (HEREDOCS.parent / "result").read_text()


def test_nodes(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    status, out, _ = run(capsysbinary, "--format", "nodes", str(HEREDOCS))
    assert status == 0
    nodes = json.loads(out)
    assert nodes[1] == {
        "cmd": "RUN",
        "sub_cmd": None,
        "json": False,
        "original": 'RUN <<EOF\nset -e\necho "building $TARGETARCH"\nEOF\n',
        "start_line": 3,
        "end_line": 6,
        "flags": [],
        "value": ["<<EOF"],
        "heredocs": [
            {"name": "EOF", "file_descriptor": 0, "content": 'set -e\necho "building $TARGETARCH"\n'}
        ],
    }
    assert [n["cmd"] for n in nodes] == ["FROM", "RUN", "COPY", "RUN", "RUN", "ONBUILD", "RUN"]


def test_summary_is_the_default(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text('FROM a\nRUN --network=none echo \\\n\n  hi\nCMD ["x"]\n')
    status, out, err = run(capsysbinary, str(path))
    assert status == 0
    assert out == '1:1  FROM "a"\n2:1  RUN --network=none "echo   hi"\n5:1  CMD "x" (exec form)\n'
    assert "NoEmptyContinuation" in err


def test_stdin(capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"FROM a\nUSER me\n")))
    status, out, _ = run(capsysbinary, "--format", "sexp", "-")
    assert (status, out) == (0, '(from "a")\n(user "me")\n')


def test_syntax_error_is_rendered_without_traceback(
    capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\nENV PATH\n")
    status, out, err = run(capsysbinary, str(path))
    assert status == 1 and out == ""
    assert err.startswith(f"{path}:2:5: ENV must have two arguments\n")
    assert "Traceback" not in err and "hint: " in err


def test_missing_file(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    status, _, err = run(capsysbinary, str(tmp_path / "nope"))
    assert status == 1 and "cannot read" in err


def test_json_format_calls_the_planner(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    pytest.importorskip("pybuildkit.plan")
    from pybuildkit import plan

    if not hasattr(plan, "program_json"):
        pytest.skip("pybuildkit.plan.program_json is not there yet")
    path = tmp_path / "Dockerfile"
    path.write_text("ARG V=1\nFROM busybox AS one\nFROM busybox AS two\n")
    status, out, _ = run(capsysbinary, "--format", "json", "--build-arg", "V=2", "--target", "one", str(path))
    assert status == 0
    assert out == json.dumps(json.loads(out), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
