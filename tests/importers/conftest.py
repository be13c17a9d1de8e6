from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.importers.sources import make_all


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return make_all(tmp_path_factory.mktemp("sources"))


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    return tmp_path / "out"
