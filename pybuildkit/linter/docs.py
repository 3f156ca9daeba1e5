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


def pages() -> dict[str, str]:
    out = {f"{rule.id}.md": rule_page(rule) for rule in all_rules()}
    out["README.md"] = index_page()
    out["SyntaxError.md"] = (
        "# SyntaxError\n\nThe file is not a Dockerfile BuildKit would read (hadolint calls this DL1000). The finding "
        "carries the parser's message and position.\n\n- Severity: **error**\n- Other IDs: `DL1000`\n\n## Bad\n\n"
        "```dockerfile\nFROM alpine:3\nRUN <<EOF\necho unterminated\n```\n\n## Good\n\n```dockerfile\nFROM alpine:3\n"
        "RUN <<EOF\necho terminated\nEOF\n```\n"
    )
    return out


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules"))
