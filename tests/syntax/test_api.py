"""`pybuildkit.parse`, `pybuildkit.parse_file` and the `dockerfile`-package drop-in `pybuildkit.compat`."""

from __future__ import annotations

from pathlib import Path

import pytest

import pybuildkit
from pybuildkit import compat
from pybuildkit.errors import DockerfileError
from pybuildkit.syntax import dump_sexp
from tests.support import REPO


def test_parse_and_parse_file(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    data = b"FROM a\r\nRUN echo \xff\xfe done\n"  # CRLF and bytes that are not UTF-8
    path.write_bytes(data)
    tree = pybuildkit.parse_file(path)
    assert tree.filename == str(path)
    assert tree.to_source().encode("utf-8", "surrogateescape") == data
    assert dump_sexp(tree) == '(from "a")\n(run "echo \\xff\\xfe done")'
    assert pybuildkit.parse("FROM a\n", filename="x/Dockerfile").filename == "x/Dockerfile"


def test_parse_file_missing(tmp_path: Path) -> None:
    with pytest.raises(DockerfileError, match="cannot read"):
        pybuildkit.parse_file(tmp_path / "absent")


def test_compat_file_and_string_agree() -> None:
    path = REPO / "fixtures" / "syntax" / "onbuild-comments" / "Dockerfile"
    commands = compat.parse_file(path)
    assert commands == compat.parse_string(path.read_text())
    onbuild = commands[2]
    assert (onbuild.cmd, onbuild.sub_cmd, onbuild.flags, onbuild.value) == (
        "ONBUILD",
        "COPY",
        (),
        (".", "${APP_HOME}"),
    )
    label = commands[-1]
    assert label.value == ("legacy", "value with spaces")  # ENV/LABEL without the separators
    assert label._fields == (
        "cmd",
        "sub_cmd",
        "json",
        "original",
        "start_line",
        "end_line",
        "flags",
        "value",
        "heredocs",
    )


def test_compat_heredoc_original() -> None:
    (_, run) = compat.parse_string("FROM a\nRUN <<A cat - <<B\none\nA\ntwo\nB\n")
    assert run.original == "RUN <<A cat - <<B\none\nA\ntwo\nB\n"
    assert run.heredocs == (compat.Heredoc("A", 0, "one\n"), compat.Heredoc("B", 0, "two\n"))
    assert (run.start_line, run.end_line) == (2, 6)


def test_compat_errors(tmp_path: Path) -> None:
    with pytest.raises(compat.GoParseError, match="ENV must have two arguments"):
        compat.parse_string("FROM a\nENV X\n")
    with pytest.raises(compat.GoIOError):
        compat.parse_file(tmp_path / "absent")
    assert issubclass(compat.GoParseError, DockerfileError)
