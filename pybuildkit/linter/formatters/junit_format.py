"""JUnit XML: one test suite per file, one failing test case per finding (a file with no findings is
one passing case), as CI test-report viewers expect."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from pybuildkit.linter.model import Finding


def render(findings: Sequence[Finding], *, files: Sequence[str], sources: Mapping[str, str]) -> str:
    root = ET.Element("testsuites", name="pybuildkit lint", tests="0", failures="0")
    order = list(dict.fromkeys([*files, *(f.file for f in findings)]))
    total = failures = 0
    for name in order:
        mine = [f for f in findings if f.file == name]
        suite = ET.SubElement(
            root, "testsuite", name=name, tests=str(max(1, len(mine))), failures=str(len(mine)), errors="0"
        )
        if not mine:
            ET.SubElement(suite, "testcase", name="lint", classname=name)
            total += 1
        for f in mine:
            case = ET.SubElement(suite, "testcase", name=f"{f.rule} at {f.line}:{f.column}", classname=name)
            failure = ET.SubElement(case, "failure", message=f.message, type=str(f.severity))
            failure.text = f"{f.file}:{f.line}:{f.column} {f.rule} {f.severity}: {f.message}\n{f.url}"
            total += 1
            failures += 1
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
