"""split_command: a POSIX sh line into simple commands, words and redirections, nothing expanded."""

from __future__ import annotations

import pytest

from pybuildkit.shell import Command, split_command


def _shape(commands: tuple[Command, ...]) -> list[tuple[str, list[str]]]:
    return [(c.separator, [w.text for w in c.words]) for c in commands]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", [], id="empty"),
        pytest.param("  \t ", [], id="blank"),
        pytest.param("echo hi", [("", ["echo", "hi"])], id="simple"),
        pytest.param(
            "apt-get update && apt-get install -y curl",
            [("&&", ["apt-get", "update"]), ("", ["apt-get", "install", "-y", "curl"])],
            id="and",
        ),
        pytest.param(
            "a || b; c | d & e",
            [("||", ["a"]), (";", ["b"]), ("|", ["c"]), ("&", ["d"]), ("", ["e"])],
            id="operators",
        ),
        pytest.param("a;b&&c", [(";", ["a"]), ("&&", ["b"]), ("", ["c"])], id="operators-without-spaces"),
        pytest.param("a\nb", [("\n", ["a"]), ("", ["b"])], id="newline"),
        pytest.param("a \\\n  b", [("", ["a", "b"])], id="continuation-between-words"),
        pytest.param("ab\\\ncd", [("", ["abcd"])], id="continuation-inside-word"),
        pytest.param("echo 'a b' \"c  d\" e\\ f", [("", ["echo", "a b", "c  d", "e f"])], id="quote-removal"),
        pytest.param('echo "a\\"b\\$c\\d"', [("", ["echo", 'a"b$c\\d'])], id="backslash-in-double-quotes"),
        pytest.param("echo 'a\\'", [("", ["echo", "a\\"])], id="backslash-in-single-quotes"),
        pytest.param(
            'echo "$HOME/x" ${A:-b} $(id -u) `date` $((1+2))',
            [("", ["echo", "$HOME/x", "${A:-b}", "$(id -u)", "`date`", "$((1+2))"])],
            id="substitutions-kept",
        ),
        pytest.param(
            "echo $(a && b; c) x", [("", ["echo", "$(a && b; c)", "x"])], id="command-substitution-is-opaque"
        ),
        pytest.param('echo "$(echo ")")"', [("", ["echo", '$(echo ")")'])], id="quotes-inside-substitution"),
        pytest.param("echo ${a:-'}'}", [("", ["echo", "${a:-'}'}"])], id="quotes-inside-braces"),
        pytest.param("echo hi # a comment && not a command", [("", ["echo", "hi"])], id="comment"),
        pytest.param("echo a#b", [("", ["echo", "a#b"])], id="hash-inside-word"),
        pytest.param("# only\necho", [("", ["echo"])], id="comment-line"),
        pytest.param("(cd /src && make)", [("&&", ["cd", "/src"]), (")", ["make"])], id="subshell"),
        pytest.param("echo 'unterminated", [("", ["echo", "unterminated"])], id="unterminated-quote"),
        pytest.param("echo $", [("", ["echo", "$"])], id="lone-dollar"),
        pytest.param(
            "cat <<EOF >/etc/x\nline && more\nEOF\necho done",
            [("\n", ["cat"]), ("", ["echo", "done"])],
            id="heredoc-body-skipped",
        ),
        pytest.param(
            "cat <<-'END'\n\tbody\n\tEND\nrm x",
            [("\n", ["cat"]), ("", ["rm", "x"])],
            id="heredoc-tabs-stripped",
        ),
    ],
)
def test_split(text: str, expected: list[tuple[str, list[str]]]) -> None:
    assert _shape(split_command(text)) == expected


def test_words_carry_offsets_and_flags() -> None:
    text = 'RUNX=1 echo "a $B" c\\ d'
    (command,) = split_command(text)
    assert [(w.raw, w.start, w.end, w.quoted, w.expands) for w in command.words] == [
        ("RUNX=1", 0, 6, False, False),
        ("echo", 7, 11, False, False),
        ('"a $B"', 12, 18, True, True),
        ("c\\ d", 19, 23, True, False),
    ]
    assert (command.start, command.end) == (0, len(text))


def test_redirections() -> None:
    (command,) = split_command("make 2>&1 >/dev/null <in 3>> log &>all")
    assert [w.text for w in command.words] == ["make"]
    assert [(r.fd, r.op, r.target.text if r.target else None) for r in command.redirects] == [
        ("2", ">&", "1"),
        (None, ">", "/dev/null"),
        (None, "<", "in"),
        ("3", ">>", "log"),
        (None, "&>", "all"),
    ]


def test_redirection_without_target() -> None:
    (command,) = split_command("echo >")
    assert command.redirects[0].target is None


@pytest.mark.parametrize(
    ("text", "argv", "assignments"),
    [
        pytest.param(
            "DEBIAN_FRONTEND=noninteractive apt-get install -y x",
            ["apt-get", "install", "-y", "x"],
            ["DEBIAN_FRONTEND=noninteractive"],
            id="assignment",
        ),
        pytest.param('A=1 B="x y" env', ["env"], ["A=1", "B=x y"], id="two-assignments"),
        pytest.param("then apt-get update", ["apt-get", "update"], [], id="reserved-word"),
        pytest.param("! grep -q x f", ["grep", "-q", "x", "f"], [], id="negation"),
        pytest.param("{ echo a", ["echo", "a"], [], id="brace-group"),
        pytest.param("for i in a b", [], [], id="compound-head"),
        pytest.param("'then' x", ["then", "x"], [], id="quoted-reserved-word-is-a-program"),
        pytest.param("1A=b c", ["1A=b", "c"], [], id="not-a-name"),
        pytest.param("fi", [], [], id="only-reserved"),
    ],
)
def test_argv(text: str, argv: list[str], assignments: list[str]) -> None:
    (command,) = split_command(text)
    assert [w.text for w in command.argv] == argv
    assert [w.text for w in command.assignments] == assignments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("echo $(a b)", [(5, 11, "a b")], id="dollar-paren"),
        pytest.param("echo `a b`", [(5, 10, "a b")], id="backquotes"),
        pytest.param('echo "$(a)"', [(6, 10, "a")], id="in-double-quotes"),
        pytest.param("echo '$(a)' '`b`'", [], id="single-quotes-are-literal"),
        pytest.param("echo \"$x\"'$(foo)'", [], id="single-quotes-after-double"),
        pytest.param("echo \\$(a) \\`b\\`", [], id="escaped"),
        pytest.param("echo $(a $(b))", [(5, 14, "a $(b)")], id="nested-left-in-the-outer-text"),
        pytest.param("echo ${x:-$(a)}", [(10, 14, "a")], id="inside-braces"),
        pytest.param("echo ${x:-'$(a)'}", [], id="single-quoted-inside-braces"),
        pytest.param("echo $((1 + 2))", [], id="arithmetic-is-not-a-command"),
        pytest.param("echo $((1 + $(a)))", [(12, 16, "a")], id="inside-arithmetic"),
        pytest.param("echo $(a ')' b)", [(5, 15, "a ')' b")], id="quoted-paren-inside"),
        pytest.param("echo x$(a)y`b`", [(6, 10, "a"), (11, 14, "b")], id="two-in-one-word"),
        pytest.param("echo $(a", [(5, 8, "a")], id="unterminated-runs-to-the-end"),
        pytest.param("echo `a", [(5, 7, "a")], id="unterminated-backquote"),
    ],
)
def test_words_carry_command_substitutions(text: str, expected: list[tuple[int, int, str]]) -> None:
    found = [sub for command in split_command(text) for word in command.words for sub in word.substitutions]
    assert found == expected
    for start, end, _ in found:
        assert text[start] in "$`"
        assert end <= len(text)
