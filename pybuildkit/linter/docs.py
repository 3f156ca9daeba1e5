"""The docs page of each rule (`docs/rules/<ID>.md`), made from the rule's own metadata and examples so
page and code cannot drift apart (a test compares them). Regenerate with
`python -m pybuildkit.linter.docs docs/rules`."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pybuildkit.linter.model import Rule
from pybuildkit.linter.registry import all_rules

HADOLINT_WIKI = "https://github.com/hadolint/hadolint/wiki/"


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def upstream_links(rule: Rule) -> list[str]:
    links = []
    for name in rule.names:
        if name.startswith("DL"):
            links.append(f"[hadolint {name}]({HADOLINT_WIKI}{name})")
        elif rule.origin.startswith("buildkit"):
            links.append(f"[BuildKit {name}](https://docs.docker.com/go/dockerfile/rule/{_kebab(name)}/)")
    return links


def _example(text: str) -> tuple[str, str]:
    """(config note, Dockerfile) — examples may start with `# config: ...` or end with
    `# .dockerignore: ...` lines, shown apart from the Dockerfile."""
    notes = [line[2:] for line in text.splitlines() if line.startswith(("# config:", "# .dockerignore:"))]
    body = "".join(
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(("# config:", "# .dockerignore:"))
    )
    return "\n".join(notes), body


def rule_page(rule: Rule) -> str:
    aliases = ", ".join(f"`{a}`" for a in rule.aliases) or "none"
    default = "on" if rule.enabled else "off (enable with `--enable " + rule.id + "` or `enabled = [...]`)"
    lines = [
        f"# {rule.id}",
        "",
        f"{rule.summary}.",
        "",
        f"- Severity: **{rule.severity}**",
        f"- Other IDs: {aliases}",
        f"- Origin: {rule.origin}",
        f"- Default: {default}",
    ]
    if rule.fixable:
        lines.append("- Fixed by `pybuildkit lint --fix` / `pybuildkit fmt`")
    if rule.needs:
        lines.append(f"- Needs: {rule.needs}")
    links = upstream_links(rule)
    if links:
        lines.append("- Upstream: " + ", ".join(links))
    for title, example in (("Bad", rule.bad), ("Good", rule.good)):
        note, body = _example(example)
        lines += ["", f"## {title}", ""]
        if note:
            lines += [f"With {note}", ""]
        lines += ["```dockerfile", body.rstrip("\n"), "```"]
    lines += ["", f"Suppress it on one instruction with `# check=skip={rule.id}` (BuildKit) or"]
    lines += [
        f'`# hadolint ignore={rule.names[-1]}` on the line above, or everywhere with `ignored = ["{rule.id}"]`.',
        "",
    ]
    return "\n".join(lines)


def index_page() -> str:
    lines = [
        "# Lint rules",
        "",
        "| Rule | Other IDs | Severity | Default | Summary |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in all_rules():
        aliases = ", ".join(rule.aliases)
        lines.append(
            f"| [{rule.id}]({rule.id}.md) | {aliases} | {rule.severity} | {'on' if rule.enabled else 'off'} | {rule.summary} |"
        )
    lines += ["", "Findings of ShellCheck (`SCxxxx`) link to the ShellCheck wiki.", ""]
    return "\n".join(lines)


_SYNTAX_ERROR_PAGE = """# SyntaxError

The build would reject this Dockerfile, so `docker build --check` fails with the error. The finding carries
the build's message, position and hint:

- the file does not parse (an unterminated heredoc, a bad `# escape=` or `# check=` directive): one finding,
  and no other rule runs (hadolint calls this DL1000);
- an instruction does not type (`COPPY`, `ENV` with no arguments, `COPY` with one argument, an unknown
  flag): one finding per instruction (also DL1000), and the other rules skip that instruction (and the
  whole stage when it is its `FROM`);
- an instruction types but its stage could not be dispatched (`COPY --chmod=abc`, `EXPOSE abc`,
  `RUN --mount=type=foo`; literal values only, a variable is known only at build time): one finding per
  instruction, and the other rules still read it.

BuildKit stops at the first such error; the linter reports each one.

- Severity: **error**
- Other IDs: `DL1000` (for files and instructions that do not parse)

## Bad

```dockerfile
FROM alpine:3
COPPY app /app
```

## Good

```dockerfile
FROM alpine:3
COPY app /app
```
"""


def pages() -> dict[str, str]:
    out = {f"{rule.id}.md": rule_page(rule) for rule in all_rules()}
    out["README.md"] = index_page()
    out["SyntaxError.md"] = _SYNTAX_ERROR_PAGE
    return out


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules"))
