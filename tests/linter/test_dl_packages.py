"""hadolint's npm, gem, yum, dnf, zypper, yarn and go rules."""

from __future__ import annotations

import pytest

from tests.linter._support import lines

CASES = [
    ("DL3016", "FROM a:1\nRUN npm install express\n", [2]),
    (
        "DL3016",
        "FROM a:1\nRUN npm install\nRUN npm install express@4 @s/p@1 ./l x.tgz git+https://h/r#v1\n",
        [],
    ),
    ("DL3016", "FROM a:1\nRUN npm install @types/node\n", [2]),
    ("DL3016", "FROM a:1\nRUN npm ci\n", []),
    ("DL3028", "FROM a:1\nRUN gem install rails\n", [2]),
    ("DL3028", "FROM a:1\nRUN gem install rails:7 && gem install rake -v 13\n", []),
    ("DL3030", "FROM a:1\nRUN yum install x-1.0\n", [2]),
    ("DL3030", "FROM a:1\nRUN yum install -y x-1.0\n", []),
    ("DL3032", "FROM a:1\nRUN yum install -y x-1.0\n", [2]),
    ("DL3032", "FROM a:1\nRUN yum install -y x-1.0 && yum clean all\n", []),
    ("DL3033", "FROM a:1\nRUN yum install -y httpd && yum clean all\n", [2]),
    ("DL3033", "FROM a:1\nRUN yum install -y httpd-2.4.6 x-1.rpm && yum clean all\n", []),
    ("DL3033", "FROM a:1\nARG V=1\nRUN yum install -y httpd-${V} && yum clean all\n", []),
    ("DL3033", "FROM a:1\nRUN yum module install -y nodejs:18 && yum clean all\n", []),
    ("DL3034", "FROM a:1\nRUN zypper install x=1\n", [2]),
    ("DL3034", "FROM a:1\nRUN zypper -n install x=1\n", []),
    ("DL3035", "FROM a:1\nRUN zypper dist-upgrade\nRUN zypper dup\n", [2, 3]),
    ("DL3036", "FROM a:1\nRUN zypper install -y x=1\n", [2]),
    ("DL3036", "FROM a:1\nRUN zypper install -y x=1 && zypper clean\n", []),
    ("DL3037", "FROM a:1\nRUN zypper install -y x\n", [2]),
    ("DL3037", "FROM a:1\nRUN zypper install -y x=1 'y>=2' z.rpm\n", []),
    ("DL3038", "FROM a:1\nRUN dnf install x-1.0\n", [2]),
    ("DL3038", "FROM a:1\nRUN microdnf install -y x-1.0\n", []),
    ("DL3040", "FROM a:1\nRUN dnf install -y x-1.0\n", [2]),
    ("DL3040", "FROM a:1\nRUN dnf install -y x-1.0 && dnf clean all\n", []),
    ("DL3041", "FROM a:1\nRUN dnf install -y nginx && dnf clean all\n", [2]),
    ("DL3041", "FROM a:1\nRUN dnf install -y nginx-1.24.0 && dnf clean all\n", []),
    ("DL3060", "FROM a:1\nRUN yarn install\n", [2]),
    ("DL3060", "FROM a:1\nRUN yarn install && yarn cache clean\n", []),
    ("DL3060", "FROM a:1\nRUN --mount=type=cache,target=/root/.cache/yarn yarn install\n", []),
    (
        "DL3062",
        "FROM a:1\nRUN go install golang.org/x/tools/gopls@latest\nRUN go get github.com/x/y\n",
        [2, 3],
    ),
    (
        "DL3062",
        "FROM a:1\nRUN go install golang.org/x/tools/gopls@v0.16.2\nRUN go install ./...\nRUN go build ./x\n",
        [],
    ),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_where_it_fires(rule: str, text: str, expected: list[int]) -> None:
    assert lines(text, rule) == expected
