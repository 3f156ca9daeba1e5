"""Golden error messages: the whole rendered text (location, message, code frame, hint)."""

from __future__ import annotations

import pytest

from pybuildkit.errors import DockerfileSyntaxError
from pybuildkit.syntax import parse

CASES = {
    "env-no-value": (
        "FROM busybox\nENV PATH\nRUN true\n",
        "app/Dockerfile:2:5: ENV must have two arguments\n 1 |     FROM busybox\n 2 | >>> ENV PATH\n 3 |     RUN true\nhint: give a name and a value: NAME=value (or the legacy form NAME value)",
    ),
    "non-string-json": (
        'FROM busybox\nCMD ["echo", 1]\n',
        'app/Dockerfile:2:14: when using JSON array syntax, arrays must be comprised of strings only\n 1 |     FROM busybox\n 2 | >>> CMD ["echo", 1]\nhint: write every element of the array as a JSON string: ["executable", "arg"]',
    ),
    "json-on-continuation": (
        'FROM busybox\nENTRYPOINT \\\n  ["a", {"b": 1}]\n',
        'app/Dockerfile:3:9: when using JSON array syntax, arrays must be comprised of strings only\n 2 |     ENTRYPOINT \\\n 3 | >>>   ["a", {"b": 1}]\nhint: write every element of the array as a JSON string: ["executable", "arg"]',
    ),
    "unterminated-heredoc": (
        "FROM busybox\nRUN <<EOF\necho hi\n",
        "app/Dockerfile:2:1: unterminated heredoc\n 1 |     FROM busybox\n 2 | >>> RUN <<EOF\n 3 | >>> echo hi\nhint: end the here-document with a line holding only EOF",
    ),
    "escape-twice": (
        "# escape=`\n# escape=\\\nFROM busybox\n",
        "app/Dockerfile:2:1: only one escape parser directive can be used\n 1 |     # escape=`\n 2 | >>> # escape=\\\n 3 |     FROM busybox\nhint: keep a single `# escape=...` line",
    ),
    "bad-escape": (
        "# escape=$\nFROM busybox\n",
        "app/Dockerfile:1:1: invalid escape token '$' does not match ` or \\\n 1 | >>> # escape=$\n 2 |     FROM busybox\nhint: the escape character can only be a backslash or a backtick: # escape=`",
    ),
    "no-instructions": (
        "# just a comment\n\n",
        "app/Dockerfile: file with no instructions\nhint: a Dockerfile needs at least one instruction, usually FROM",
    ),
    "label-missing-equals": (
        "FROM busybox\nLABEL a=b c\n",
        'app/Dockerfile:2:11: Syntax error - can\'t find = in "c". Must be of the form: name=value\n 1 |     FROM busybox\n 2 | >>> LABEL a=b c\nhint: every word must be name=value; quote a value that holds spaces: NAME="a b"',
    ),
}


@pytest.mark.parametrize(("text", "rendered"), list(CASES.values()), ids=list(CASES))
def test_rendered_error(text: str, rendered: str) -> None:
    with pytest.raises(DockerfileSyntaxError) as caught:
        parse(text, filename="app/Dockerfile")
    assert caught.value.render() == rendered
    assert caught.value.filename == "app/Dockerfile"
