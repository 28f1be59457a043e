from pathlib import Path

import pytest

from supportplan.catalog.domain import Catalog
from supportplan.catalog.files import read_catalog_file

CATALOG_DIR = Path(__file__).resolve().parents[3] / "catalogs"


@pytest.fixture(scope="session")
def partner() -> Catalog:
    return read_catalog_file(CATALOG_DIR / "partner.yaml")[1]


@pytest.fixture(scope="session")
def tencent() -> Catalog:
    return read_catalog_file(CATALOG_DIR / "tencent.yaml")[1]
