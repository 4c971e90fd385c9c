"""免提交: materials the platform obtains itself instead of asking the applicant for them.

A material of an item version may name a 证照类型代码 (``licence_type_code``) or a 共享数据 code
(``shared_data_code``). At submission, for each such material the applicant did not upload, the registered
*material sources* are asked in turn (the licences app registers one: a valid e-licence of the applicant's
of that type satisfies the material). The first that answers gives an :class:`Exemption`: the note shown on
the case ("免提交：已调用电子证照 …") and a function that records the use once the case exists.

The cases app never imports the sources; they register in their ``AppConfig.ready()``. A licence material
with no source that answers must be uploaded like any other. A shared-data material stays exempt without a
check (no data-sharing app exists yet; its note says so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yiwang.accounts.models import LegalPerson, NaturalPerson
    from yiwang.cases.models import Case


@dataclass(frozen=True)
class Exemption:
    """How one material was obtained without the applicant handing it in."""

    note: str  # 免提交：已调用电子证照 食品经营许可证（1.2.156.3005.2…）
    reference: str = ""  # what was used (the licence identifier), for the event log
    # Called inside the submission's transaction once the case exists: ``record(case, actor)`` (logs the use).
    record: Callable[[Case, Any], None] | None = None


MaterialSource = Callable[["NaturalPerson | None", "LegalPerson | None", Mapping[str, Any]], Exemption | None]
_sources: list[MaterialSource] = []


def register_material_source(source: MaterialSource) -> None:
    """Register ``source(person, enterprise, material) -> Exemption | None`` (in ``AppConfig.ready()``)."""
    if source not in _sources:
        _sources.append(source)


def unregister_material_source(source: MaterialSource) -> None:
    if source in _sources:
        _sources.remove(source)


def exemption_find(
    *, person: NaturalPerson | None, enterprise: LegalPerson | None, material: Mapping[str, Any]
) -> Exemption | None:
    """The exemption for ``material`` of this applicant (the enterprise when it applies, else the person), or
    None when the applicant must hand the material in. Reads only; nothing is logged until ``record``."""
    if not (material.get("licence_type_code") or material.get("shared_data_code")):
        return None
    for source in list(_sources):
        found = source(person, enterprise, material)
        if found is not None:
            return found
    if material.get("shared_data_code"):
        return Exemption(note=f"免提交：由部门间数据共享获取（共享数据 {material['shared_data_code']}）")
    return None
