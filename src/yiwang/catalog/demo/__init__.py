"""The demo catalog: about 170 published 实施清单 items of the demo region (临沂市), at city, district and
subdistrict level, loaded through the catalog services.

``catalog_demo_load()`` loads the demo region first when it is missing and is idempotent;
``catalog_demo_is_loaded()`` tells whether any demo item exists. The data modules (``items_*.py``) hold
``ItemSpec`` lists built with the helpers of ``spec.py`` and the material library of ``materials.py``;
they need no Django, so the loader (which does) is imported only when called.
"""

from __future__ import annotations

from yiwang.catalog.demo.spec import FLAG_LABELS, CatalogDemoSummary

__all__ = ["FLAG_LABELS", "CatalogDemoSummary", "catalog_demo_is_loaded", "catalog_demo_load"]


def catalog_demo_load() -> CatalogDemoSummary:
    """Load the demo region if needed, then the demo catalog unless it is there; return the counts."""
    from yiwang.catalog.demo.loader import catalog_demo_load as load  # needs Django set up

    return load()


def catalog_demo_is_loaded() -> bool:
    from yiwang.catalog.demo.loader import catalog_demo_is_loaded as is_loaded

    return is_loaded()
