"""BuildKit's own shell vectors (../shared/conformance/shell/): envVarTest, wordsTest and the JSON tables."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pybuildkit.shell import ShellExpansionError, env_from_list, expand, expand_word, expand_words
from tests.support import conformance_dir

_DIR = conformance_dir()
_SHELL = _DIR / "shell" if _DIR is not None else None

# The environment every envVarTest line runs with.
_ENV_VAR_TEST_ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}


def _lines(name: str) -> list[str]:
    if _SHELL is None:
        return []
    return (_SHELL / name).read_text(encoding="utf-8").splitlines()


def _env_var_cases() -> list[Any]:
    cases = []
    for number, line in enumerate(_lines("envVarTest"), start=1):
        if line.startswith("#") or not line.strip():
            continue
        platform, word, expected = (field.strip() for field in line.strip().split("|"))
        if platform == "W":  # Windows-only: names ignore case there
            continue
        cases.append(pytest.param(word, expected, id=f"L{number}:{word}"))
    return cases


def _words_cases() -> list[Any]:
    cases = []
    env: list[str] = []
    for number, line in enumerate(_lines("wordsTest"), start=1):
        if line.startswith("#"):
            continue
        if line.startswith("ENV "):
            env.append(line[3:].lstrip(" "))
            continue
        word, expected = line.split("|")
        cases.append(
            pytest.param(
                word.strip(), expected.lstrip(" ").split(","), tuple(env), id=f"L{number}:{word.strip()}"
            )
        )
    return cases


def _json(name: str) -> Any:
    if _SHELL is None:
        return None
    return json.loads((_SHELL / name).read_text(encoding="utf-8"))


def _matches_cases() -> list[Any]:
    data = _json("process_with_matches.json")
    if data is None:
        return []
    return [pytest.param(v, id=f"{i}:{v['input']}") for i, v in enumerate(data["vectors"])]


def _misc(section: str) -> list[Any]:
    data = _json("lex_misc.json")
    if data is None:
        return []
    return [pytest.param(v, id=f"{section}{i}") for i, v in enumerate(data[section]["vectors"])]


@pytest.mark.parametrize(("word", "expected"), _env_var_cases())
def test_env_var_test(word: str, expected: str) -> None:
    if expected == "error":
        with pytest.raises(ShellExpansionError):
            expand_word(word, _ENV_VAR_TEST_ENV)
    else:
        assert expand_word(word, _ENV_VAR_TEST_ENV) == expected


def test_env_var_test_count() -> None:
    if _SHELL is None:
        pytest.skip("conformance data is not present")
    assert len(_env_var_cases()) == 228  # 226 A + 2 U


@pytest.mark.parametrize(("word", "expected", "env"), _words_cases())
def test_words_test(word: str, expected: list[str], env: tuple[str, ...]) -> None:
    try:
        result = expand_words(word, env_from_list(env))
    except ShellExpansionError:
        result = ["error"]
    assert result == expected


@pytest.mark.parametrize("vector", _matches_cases())
def test_process_with_matches(vector: dict[str, Any]) -> None:
    if vector.get("error"):
        with pytest.raises(ShellExpansionError):
            expand(vector["input"], vector["envs"])
        return
    result = expand(vector["input"], vector["envs"])
    assert result.value == vector["expected"]
    assert result.matched == frozenset(vector["matched"])
    assert result.unmatched == frozenset(vector["unmatched"])


@pytest.mark.parametrize("vector", _misc("mandatory_env_vars"))
def test_mandatory_env_vars(vector: dict[str, Any]) -> None:
    if "error_contains" in vector:
        with pytest.raises(ShellExpansionError) as info:
            expand_word(vector["input"], vector["envs"])
        assert vector["error_contains"] in info.value.message
    else:
        assert expand_word(vector["input"], vector["envs"]) == vector["expected"]


@pytest.mark.parametrize("vector", _misc("platform"))
def test_platform_template(vector: dict[str, Any]) -> None:
    assert expand(vector["input"], vector["envs"]).value == vector["expected"]


@pytest.mark.parametrize("vector", _misc("get_env"))
def test_env_from_list(vector: dict[str, Any]) -> None:
    assert env_from_list(vector["env_list"]).get(vector["name"], "") == vector["value"]
