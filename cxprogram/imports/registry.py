"""Every file importer, by kind: the upload pages and the `cxprogram import` commands both
come from this list. Each feature adds its importer here."""

from __future__ import annotations

from cxprogram.imports.framework import Importer


def importers() -> dict[str, Importer]:
    """The importers by their kind (URL slug and command name), in menu order."""
    from cxprogram.imports.departments import DepartmentImporter
    from cxprogram.imports.observations import observation_importer
    from cxprogram.imports.services_import import ServiceImporter
    from cxprogram.imports.standards_import import StandardImporter
    from cxprogram.imports.users_import import user_importer

    found: list[Importer] = [
        observation_importer(),
        DepartmentImporter(),
        ServiceImporter(),
        StandardImporter(),
        user_importer(),
    ]
    return {importer.kind: importer for importer in found}
