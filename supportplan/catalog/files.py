"""Read catalog files from disk (the only I/O the catalog's pure parts need)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from .domain import Catalog, parse_catalog
from .validation import CatalogInvalid, load_yaml


def read_catalog_text(text: str, filename: str) -> tuple[dict[str, Any], Catalog]:
    """Parse YAML (or JSON, a subset of YAML) text; CatalogInvalid lists every problem."""
    if not text.strip():
        raise CatalogInvalid([f"{filename}:(top level): the file is empty"])
    data, problems = load_yaml(text, filename)
    if data is None and problems:  # not YAML at all: nothing further can be checked
        raise CatalogInvalid(problems)
    try:
        catalog = parse_catalog(data, filename)
    except CatalogInvalid as exc:
        raise CatalogInvalid(problems + exc.problems) from None
    if problems:  # duplicate YAML keys: the document parsed, but not as written
        raise CatalogInvalid(problems)
    return data, catalog


def read_catalog_file(path: str | Path) -> tuple[dict[str, Any], Catalog]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogInvalid([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogInvalid([f"{path.name}: cannot read the file: {exc}"]) from None
    return read_catalog_text(text, path.name)


def seed_catalog_paths() -> list[Path]:
    """The catalogs shipped with the product (catalogs/*.yaml), loaded by `make run`."""
    return sorted(Path(settings.CATALOG_DIR).glob("*.yaml"))
