"""Demo step: load the shipped catalogs (catalogs/*.yaml) through the real service.

Idempotent: loading a file identical to the current version stores nothing.
"""

from supportplan.demo import DemoContext, register_step

from .files import seed_catalog_paths
from .services import catalog_load


@register_step
def load_seed_catalogs(ctx: DemoContext) -> None:
    for path in seed_catalog_paths():
        result = catalog_load(source=path, actor=ctx.people.get("admin"), now=ctx.now)
        state = "loaded" if result.created else "already loaded"
        ctx.lines.append(
            f"catalog {result.version.provider.code}: version {result.version.number} ({state})"
        )
