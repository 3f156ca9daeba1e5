"""ID maps: /etc/subuid parsing, translation both ways, the text written to /proc."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybuildkit.execute.sandbox.idmap import SubordinateRange, _with_range, subordinate_ranges
from pybuildkit.execute.sandbox.spec import IdMap, IdRange


def test_subordinate_ranges_by_name_or_uid(tmp_path: Path) -> None:
    path = tmp_path / "subuid"
    path.write_text("alice:100000:65536\n1001:300000:1000\nbob:200000:65536\nbad:x:1\nzero:1:0\n")
    assert subordinate_ranges(path, "alice", 1001) == (
        SubordinateRange(start=100000, count=65536),
        SubordinateRange(start=300000, count=1000),
    )
    assert subordinate_ranges(path, "zero", 5) == ()
    assert subordinate_ranges(tmp_path / "missing", "alice", 1) == ()


def test_rootless_map_puts_the_user_at_root_and_the_ranges_after() -> None:
    idmap = _with_range(1001, (SubordinateRange(start=100000, count=65536),))
    assert idmap.proc_text() == "0 1001 1\n1 100000 65536\n"
    assert not idmap.is_identity


@pytest.mark.parametrize(
    ("container", "host"),
    [(0, 1001), (1, 100000), (1000, 100999), (65536, 165535), (65537, None)],
    ids=["root", "first", "uid-1000", "last", "unmapped"],
)
def test_translation(container: int, host: int | None) -> None:
    idmap = IdMap(
        ranges=(IdRange(container=0, host=1001, size=1), IdRange(container=1, host=100000, size=65536))
    )
    assert idmap.to_host(container) == host
    if host is not None:
        assert idmap.to_container(host) == container
