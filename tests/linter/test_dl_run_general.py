"""hadolint's rules on what RUN runs: shell words, not regular expressions (heredocs included)."""

from __future__ import annotations

import pytest

from tests.linter._support import lines

CASES = [
    ("DL3001", "FROM a:1\nRUN service nginx start\nRUN ps aux\n", [2, 3]),
    ("DL3001", "FROM a:1\nRUN echo service ps\n", []),  # arguments, not commands
    ("DL3003", "FROM a:1\nRUN cd /x && make\n", [2]),
    ("DL3003", "FROM a:1\nRUN make -C /x\nRUN echo cd\n", []),
    ("DL3003", "FROM a:1\nRUN if true; then cd /x; fi\n", [2]),
    (
        "DL3004",
        "FROM a:1\nRUN sudo ls\nRUN (sudo ls)\nRUN echo $(sudo id)\nRUN echo `sudo id`\n",
        [2, 3, 4, 5],
    ),
    ("DL3004", "FROM a:1\nRUN echo sudo\nRUN ['sudo']\n", []),
    ("DL3004", "FROM a:1\nRUN echo \"$x\"'$(sudo id)'\nRUN echo '`sudo id`'\n", []),
    (
        "DL3004",
        'FROM a:1\nRUN echo "$(sudo id)"\nRUN echo ${X:-$(sudo id)}\nRUN echo $(( $(sudo id) ))\n',
        [2, 3, 4],
    ),
    ("DL3004", "FROM a:1\nRUN <<EOF\nset -e\nsudo make\nEOF\n", [2]),  # heredoc body
    (
        "DL3004",
        'FROM a:1\nRUN ["sudo", "ls"]\nRUN ["/bin/sh", "-c", "sudo ls"]\n',
        [2],
    ),  # exec form: words as text
    ("DL3004", "FROM a:1\nONBUILD RUN sudo ls\n", [2]),
    ("DL3010", "FROM a:1\nCOPY x.tar.gz /tmp/\nRUN tar -xzf /tmp/x.tar.gz\n", [2]),
    ("DL3010", "FROM a:1\nCOPY x.tar.gz /tmp/\nRUN rm /tmp/x.tar.gz\n", []),
    ("DL3046", "FROM a:1\nRUN useradd -u 123456 app\n", [2]),
    ("DL3046", "FROM a:1\nRUN useradd -l -u 123456 app\nRUN useradd -u 1000 b\n", []),
    ("DL3047", "FROM a:1\nRUN wget https://x/y\n", [2]),
    (
        "DL3047",
        "FROM a:1\nRUN wget -q https://x/y\nRUN wget --progress=dot:giga x\nRUN wget -nv x\nRUN wget -o log x\n",
        [],
    ),
    ("DL3059", "FROM a:1\nRUN a\nRUN b\n", [3]),
    ("DL3059", "FROM a:1\nRUN a\n# c\nRUN b\n", [4]),
    ("DL3059", "FROM a:1\nRUN a\nRUN b && c\nRUN d\n", []),
    ("DL3059", "FROM a:1\nRUN a\nWORKDIR /x\nRUN b\n", []),
    ("DL3059", "FROM a:1\nRUN --mount=type=cache,target=/c a\nRUN b\n", []),
    ("DL4001", "FROM a:1\nRUN wget -q x\nRUN curl -O y\n", [3]),
    ("DL4001", "FROM a:1\nRUN wget -q x\nFROM a:1\nRUN curl -O y\n", []),
    ("DL4005", "FROM a:1\nRUN ln -sf /bin/bash /bin/sh\n", [2]),
    ("DL4005", "FROM a:1\nRUN ln -sf /bin/bash /usr/bin/x\n", []),
    ("DL4006", "FROM a:1\nRUN a | b\n", [2]),
    ("DL4006", 'FROM a:1\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a | b\n', []),
    ("DL4006", 'FROM a:1\nSHELL ["/usr/bin/zsh", "-eo", "pipefail", "-c"]\nRUN a | b\n', []),
    ("DL4006", 'FROM a:1\nSHELL ["/bin/sh", "-c"]\nRUN a | b\n', [3]),
    ("DL4006", 'FROM a:1\nSHELL ["pwsh", "-c"]\nRUN a | b\n', []),
    ("DL4006", "FROM a:1\nRUN a || b\nRUN echo '|'\n", []),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_where_it_fires(rule: str, text: str, expected: list[int]) -> None:
    assert lines(text, rule) == expected
