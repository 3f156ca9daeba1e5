"""BuildKit's instructions unit-test tables (../shared/conformance/instructions/*.json)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pybuildkit.errors import InstructionError
from pybuildkit.instructions import (
    CopyInstruction,
    HealthcheckInstruction,
    RunInstruction,
    parse_device,
    parse_instruction,
)
from pybuildkit.instructions.base import json_args
from pybuildkit.instructions.flags import FlagKind, FlagSpec, parse_flag_words
from pybuildkit.instructions.process import parse_healthcheck
from pybuildkit.plan import build_program
from tests.instructions.build import node, parse_text
from tests.support import conformance_dir

ROOT = conformance_dir()


def _load(name: str) -> Any:
    if ROOT is None:
        return None
    return json.loads((ROOT / "instructions" / name).read_text())


ERRORS = _load("errors.json")
HEREDOC = _load("heredoc.json")
MISC = _load("misc.json")
needs_data = pytest.mark.skipif(ROOT is None, reason="conformance data is not present")


def _cases(data: Any, key: str) -> list[Any]:
    return [] if data is None else list(data[key])


def _check(message: str, case: dict[str, Any]) -> None:
    if case["match"] == "equal":
        assert message == case["error"]
    else:
        assert case["error"] in message


TEXT_ERRORS = [c for c in _cases(ERRORS, "cases") if "dockerfile" in c]
CHAIN_ERRORS = [c for c in _cases(ERRORS, "cases") if "node_chain" in c]


@needs_data
@pytest.mark.parametrize("case", TEXT_ERRORS, ids=[c.get("name", c["dockerfile"]) for c in TEXT_ERRORS])
def test_error_cases(case: dict[str, Any]) -> None:
    tree = parse_text(case["dockerfile"])
    with pytest.raises(InstructionError) as caught:
        parse_instruction(tree.instructions[0], filename="Dockerfile")
    _check(caught.value.message, case)
    assert caught.value.span is not None
    assert caught.value.span.start.line == tree.instructions[0].span.start.line


@needs_data
@pytest.mark.parametrize("case", CHAIN_ERRORS, ids=[" ".join(c["node_chain"]) for c in CHAIN_ERRORS])
def test_error_node_chains(case: dict[str, Any]) -> None:
    # A node chain is (keyword, values...): exactly what InstructionNode.args holds.
    keyword, *args = case["node_chain"]
    with pytest.raises(InstructionError) as caught:
        parse_instruction(node(keyword.upper(), *args))
    _check(caught.value.message, case)


COPY_VECTORS = [] if HEREDOC is None else HEREDOC["copy"]["vectors"]
RUN_VECTORS = [] if HEREDOC is None else HEREDOC["run"]["vectors"]


@needs_data
@pytest.mark.parametrize("case", COPY_VECTORS, ids=[c["dockerfile"].split("\n")[0] for c in COPY_VECTORS])
def test_copy_heredoc(case: dict[str, Any]) -> None:
    tree = parse_text(case["dockerfile"])
    copy = parse_instruction(tree.instructions[0])
    assert isinstance(copy, CopyInstruction)
    assert copy.dest == case["dest"]
    assert list(copy.sources) == case["source_paths"]
    assert [{"path": c.path, "data": c.data, "expand": c.expand} for c in copy.contents] == case[
        "source_contents"
    ]


@needs_data
@pytest.mark.parametrize("case", RUN_VECTORS, ids=[c["dockerfile"].split("\n")[0] for c in RUN_VECTORS])
def test_run_heredoc(case: dict[str, Any]) -> None:
    tree = parse_text(case["dockerfile"])
    run = parse_instruction(tree.instructions[0])
    assert isinstance(run, RunInstruction)
    assert run.prepend_shell == case["prepend_shell"]
    assert list(run.command) == case["cmdline"]
    assert [{"name": f.name, "data": f.data, "chomp": f.chomp} for f in run.files] == case["files"]


@needs_data
def test_healthcheck_cmd_shell() -> None:
    keyword, *args = MISC["healthcheck_cmd"]["node_chain"]
    check = parse_healthcheck(node(keyword.upper(), *args))
    assert list(check.test) == MISC["healthcheck_cmd"]["expected_test"]


INTERVALS = [] if MISC is None else MISC["healthcheck_interval"]["vectors"]


@needs_data
@pytest.mark.parametrize("case", INTERVALS, ids=[c["value"] for c in INTERVALS])
def test_healthcheck_interval(case: dict[str, Any]) -> None:
    n = node("HEALTHCHECK", "CMD", "true", flags=(f"--interval={case['value']}",))
    if case.get("ok"):
        assert isinstance(parse_instruction(n), HealthcheckInstruction)
    else:
        with pytest.raises(InstructionError) as caught:
            parse_instruction(n)
        assert case["error_contains"] in caught.value.message


JSON_ARGS = [] if MISC is None else MISC["handle_json_args"]["vectors"]


@needs_data
@pytest.mark.parametrize("case", JSON_ARGS, ids=[c["name"] for c in JSON_ARGS])
def test_handle_json_args(case: dict[str, Any]) -> None:
    assert list(json_args(tuple(case["args"]), case["json"])) == case["expected"]


@needs_data
def test_run_flags_used() -> None:
    tree = parse_text(MISC["run_flags_used"]["dockerfile"])
    run = parse_instruction(tree.instructions[0])
    assert isinstance(run, RunInstruction)
    assert list(run.flags_used) == MISC["run_flags_used"]["flags_used"]


@needs_data
def test_doc_comments() -> None:
    data = MISC["doc_comments"]
    expected = data["expected"]
    program = build_program(parse_text(data["dockerfile"]))
    assert program.stages[0].base.doc_comment == expected["stage0_doc_comment"]
    meta = program.meta_args[0].args[0]
    assert (meta.key, meta.doc_comment) == (
        expected["meta_arg0"]["key"],
        expected["meta_arg0"]["doc_comment"],
    )
    got = [
        {"arg_keys": [a.key for a in cmd.args], "doc_comments": [a.doc_comment for a in cmd.args]}
        for cmd in program.stages[0].instructions
    ]
    assert got == expected["stage0_commands"]


BFLAGS = [] if MISC is None else MISC["builder_flags"]["vectors"]


def _specs(declared: dict[str, list[Any]]) -> list[FlagSpec]:
    specs = []
    for name, (kind, default) in declared.items():
        if kind == "bool":
            specs.append(FlagSpec(name=name, kind=FlagKind.BOOL, default="true" if default else "false"))
        else:
            specs.append(FlagSpec(name=name, kind=FlagKind.STRING, default=default))
    return specs


@needs_data
@pytest.mark.parametrize("case", BFLAGS, ids=[" ".join(c["args"]) or "none" for c in BFLAGS])
def test_builder_flags(case: dict[str, Any]) -> None:
    specs = _specs(case["declared"])
    if not case["ok"]:
        with pytest.raises(InstructionError):
            parse_flag_words(case["args"], specs)
        return
    values = parse_flag_words(case["args"], specs)
    for name, expected in case.get("values", {}).items():
        kind = case["declared"][name][0]
        assert (values.boolean(name) if kind == "bool" else values.string(name)) == expected
    if "used" in case:
        assert sorted(values.used) == sorted(case["used"])


DEVICES = [] if MISC is None else MISC["run_device"]["vectors"]


@needs_data
@pytest.mark.parametrize("case", DEVICES, ids=[c["input"] for c in DEVICES])
def test_run_device(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(InstructionError) as caught:
            parse_device(case["input"])
        assert caught.value.message == case["error"]
        return
    device = parse_device(case["input"])
    assert (device.name, device.required) == (case["name"], case["required"])
