"""The reports, one module each in this package; every module but `base` declares a REPORT.

Adding a module adds the report everywhere: its page and CSV export (reports/views.py), the navigation,
its API route (hmis/api_urls.py), and its rows in the access matrix. See docs/how-to-add-a-report.md.
"""

import dataclasses
import importlib
import inspect
import pkgutil

from reports.catalog.base import Report


def _discover() -> dict[str, Report]:
    found: list[Report] = []
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            loaded = importlib.import_module(f"{__name__}.{module.name}")
            report = loaded.REPORT
            if not report.description and loaded.__doc__:
                report = dataclasses.replace(report, description=inspect.cleandoc(loaded.__doc__))
            found.append(report)
    slugs = [report.slug for report in found]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"two report modules declare the same slug: {sorted(slugs)}")
    return {report.slug: report for report in sorted(found, key=lambda r: r.menu_position)}


REPORTS: dict[str, Report] = _discover()


def visible_to(user) -> list[Report]:
    """The reports this user may open, in menu order."""
    return [report for report in REPORTS.values() if user.has_perm(report.permission)]
