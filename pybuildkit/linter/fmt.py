"""`pybuildkit fmt`: rewrite a Dockerfile in one canonical style, on the lossless syntax tree.

What changes (each only where it cannot change meaning):
- instruction keywords upper-case (ONBUILD's trigger too), and FROM's `AS` to match;
- exec (JSON) form spacing: `["a", "b"]` (one-line instructions);
- legacy `ENV key value` / `LABEL key value` written `key=value` (the value quoted when it holds blanks);
- continuation lines of shell-form instructions indented by at least four spaces, unless the line
  break sits inside a quoted string (the indentation would become part of the value).
What never changes: directives, comments, blank lines, heredoc bodies, anything else inside a line.
The result parses to the same instructions (a test checks this on every Dockerfile we hold).
"""

from __future__ import annotations

import json
import re

from pybuildkit.syntax.nodes import Dockerfile, InstructionNode, Keyword

INDENT = "    "
_KEYWORD = re.compile(r"^(\s*)(\S+)")
_SAFE_BARE = re.compile(r"^[^\s\"'\\]*$")


def format_text(text: str, *, filename: str = "Dockerfile") -> str:
    """The formatted text (raises DockerfileSyntaxError when the text does not parse)."""
    import pybuildkit

    tree: Dockerfile = pybuildkit.parse(text, filename=filename)
    return format_tree(tree)


def format_tree(tree: Dockerfile) -> str:
    parts = []
    for item in tree.items:
        if isinstance(item, InstructionNode):
            parts.append(format_instruction(item, tree.escape))
        else:
            parts.append(item.text)
    return ("\ufeff" if tree.bom else "") + "".join(parts)


def format_instruction(node: InstructionNode, escape: str = "\\") -> str:
    text = node.text
    text = _upper_keyword(text, node)
    if node.heredocs:
        return text  # heredoc bodies are kept byte for byte; only the keyword changes
    lines = text.splitlines(keepends=True)
    if len(lines) == 1:
        line = lines[0]
        if node.json and node.kind in (Keyword.RUN, Keyword.CMD, Keyword.ENTRYPOINT, Keyword.SHELL):
            line = _json_spacing(line, node)
        if node.kind in (Keyword.ENV, Keyword.LABEL):
            line = _legacy_key_value(line, node)
        if node.kind is Keyword.FROM:
            line = _from_as(line, node)
        return line
    if node.kind is Keyword.FROM:
        lines[0] = _from_as(lines[0], node)
    if node.kind in (Keyword.RUN, Keyword.CMD, Keyword.ENTRYPOINT) and not node.json:
        lines = _indent_continuations(lines, escape)
    return "".join(lines)


def _upper_keyword(text: str, node: InstructionNode) -> str:
    if node.kind is None:
        return text  # unknown instruction: leave it for the error to name

    def upper(match: re.Match[str]) -> str:
        return match.group(1) + match.group(2).upper()

    text = _KEYWORD.sub(upper, text, count=1)
    if node.trigger is not None and node.trigger.kind is not None:
        head = re.match(r"^(\s*\S+\s+)(\S+)", text)
        if head is not None and head.group(2).lower() == node.trigger.keyword.lower():
            text = head.group(1) + head.group(2).upper() + text[head.end() :]
    return text


def _from_as(line: str, node: InstructionNode) -> str:
    if len(node.args) >= 3 and node.args[1].lower() == "as" and node.args[1] != "AS":
        return re.sub(r"(\s)as(\s)", r"\1AS\2", line, count=1, flags=re.IGNORECASE)
    return line


def _split_newline(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def _json_spacing(line: str, node: InstructionNode) -> str:
    body, newline = _split_newline(line)
    start = body.find("[")
    if start < 0 or not body.rstrip().endswith("]"):
        return line
    try:
        if json.loads(body[start:]) != list(node.args):
            return line
    except ValueError:
        return line
    canonical = json.dumps(list(node.args), ensure_ascii=False)
    if json.loads(canonical) != list(node.args):
        return line
    return body[:start].rstrip() + " " + canonical + newline


def _legacy_key_value(line: str, node: InstructionNode) -> str:
    args = node.args
    if len(args) != 3 or args[2] != "":
        return line
    key, value = args[0], args[1]
    body, newline = _split_newline(line)
    match = re.match(r"^(\s*\S+\s+)" + re.escape(key) + r"\s+", body)
    if match is None or body[match.end() :] != value:
        return line
    if _SAFE_BARE.match(value):
        written = value
    elif re.fullmatch(r'"[^"\\]*"', value) or re.fullmatch(r"'[^'\\]*'", value):
        written = value  # already one quoted word
    elif not re.search(r"[\"'\\]", value):
        written = f'"{value}"'  # blanks inside: quote them so the value stays one word
    else:
        return line  # quotes or escapes inside a legacy value: too subtle to rewrite safely
    return f"{match.group(1)}{key}={written}{newline}"


def _indent_continuations(lines: list[str], escape: str) -> list[str]:
    out = [lines[0]]
    quote = _quote_state(lines[0], None, escape)
    previous = lines[0]
    for line in lines[1:]:
        stripped = line.lstrip(" \t")
        if quote is None and not stripped.startswith("#") and stripped.strip():
            indent = line[: len(line) - len(stripped)]
            # Only where the join already breaks words: `light\` + `ning` is one word, `lightning`.
            breaks = bool(indent) or previous.rstrip("\r\n").rstrip(" \t")[:-1].endswith((" ", "\t"))
            if breaks and len(indent.expandtabs(4)) < len(INDENT):
                line = INDENT + stripped
        out.append(line)
        if not stripped.startswith("#"):
            quote = _quote_state(line, quote, escape)
            previous = line
    return out


def _quote_state(line: str, quote: str | None, escape: str) -> str | None:
    """The quote still open at the end of `line` (None: none), starting inside `quote`."""
    index = 0
    body = line.rstrip("\r\n")
    while index < len(body):
        ch = body[index]
        if ch == escape and quote != "'":
            index += 2
            continue
        if quote is None and ch in "\"'":
            quote = ch
        elif quote is not None and ch == quote:
            quote = None
        index += 1
    return quote
