"""Every file importer, by kind. Each feature adds its importer here."""

from __future__ import annotations

from cxprogram.imports.framework import Importer


def importers() -> dict[str, Importer]:
    """The importers by their kind (URL slug), in menu order."""
    from cxprogram.imports.observations import observation_importer

    found: list[Importer] = [observation_importer()]
    from cxprogram.imports.departments import DepartmentImporter
    from cxprogram.imports.services_import import ServiceImporter

    found += [DepartmentImporter(), ServiceImporter()]
    from cxprogram.imports.users_import import user_importer

    found.append(user_importer())
    return {importer.kind: importer for importer in found}
