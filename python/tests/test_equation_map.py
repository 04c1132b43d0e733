"""docs/equations.md cannot drift: every listed file holds its row's tag and every listed test exists."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "docs" / "equations.md"
TAG = re.compile(r"^(LDD|POLCA|DIDS|HDBSCAN|KMeans|Lanczos|Simplex) ")


def _rows():
    """(tag, [(path, test name or None), ...]) for every table row of the map."""
    rows = []
    for line in MAP.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not TAG.match(cells[0]):
            continue
        places = []
        for cell in cells[2:]:
            for item in re.findall(r"`([^`]+)`", cell):
                path, _, name = item.partition("::")
                places.append((path, name or None))
        rows.append((cells[0], places))
    return rows


ROWS = _rows()


def test_the_map_lists_every_method():
    methods = {tag.split()[0] for tag, _ in ROWS}
    assert {"LDD", "POLCA", "DIDS", "HDBSCAN", "KMeans", "Lanczos", "Simplex"} <= methods
    assert len({tag for tag, _ in ROWS}) == len(ROWS), "a tag appears in two rows"


@pytest.mark.parametrize("tag, places", ROWS, ids=[tag for tag, _ in ROWS])
def test_every_listed_place_carries_the_tag(tag, places):
    assert places, f"{tag}: no Swift, Python or test place listed"
    assert any(name for _, name in places), f"{tag}: no test listed"
    for path, name in places:
        source = ROOT / path
        assert source.is_file(), f"{tag}: {path} does not exist"
        text = source.read_text()
        assert tag in text, f"{tag}: not written in {path}"
        if name is not None:
            assert re.search(rf"\b(def|func) {re.escape(name)}\b", text), f"{tag}: no test {name} in {path}"
