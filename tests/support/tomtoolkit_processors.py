"""Run TOM Toolkit's own data processors on files, in a Python that has TOM Toolkit installed.

``python tomtoolkit_processors.py WORKDIR TYPE FILE [TYPE FILE ...]`` sets up a throwaway TOM
(TOM Toolkit's bundled settings, SQLite in WORKDIR), uploads each FILE as a data product of TYPE
(``photometry`` or ``spectroscopy``), runs the processor TOM Toolkit uses for that type, and
prints one JSON object: file -> list of the stored points, or the error the processor raised.
TYPE ``targets`` imports a target CSV the way TOM Toolkit's target import does instead.
Not imported by the tests: they start it as a separate process (Django wants its own).
"""

import json
import os
import sys
from typing import Any


def main(workdir: str, pairs: list[str]) -> dict[str, Any]:
    # Run as a script, this folder comes first on the path, and its http.py would hide the
    # standard library's http from Django.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tom_base.settings")
    import django
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = os.path.join(workdir, "tom.sqlite3")
    settings.MEDIA_ROOT = os.path.join(workdir, "media")
    django.setup()
    from django.core.files import File
    from django.core.management import call_command
    from tom_dataproducts.data_processor import run_data_processor
    from tom_dataproducts.models import DataProduct
    from tom_targets.models import Target

    call_command("migrate", verbosity=0)
    target, _ = Target.objects.get_or_create(name="tom-tui export", type="SIDEREAL", ra=1.0, dec=2.0)
    fields = ("flux", "wavelength", "error", "flux_unit", "wavelength_unit", "brightness")
    fields += ("brightness_error", "limit", "bandpass", "telescope", "instrument", "source_name")
    results: dict[str, Any] = {}
    for kind, path in zip(pairs[::2], pairs[1::2], strict=True):
        if kind == "targets":
            results[path] = _import_targets(path)
            continue
        with open(path, "rb") as handle:
            product = DataProduct.objects.create(
                target=target, data_product_type=kind, data=File(handle, name=os.path.basename(path))
            )
        try:
            datums = run_data_processor(product)
        except Exception as error:  # what TOM Toolkit would turn into an error page
            results[path] = f"{type(error).__name__}: {error}"
            continue
        results[path] = [
            {"timestamp": datum.timestamp.isoformat()}
            | {field: getattr(datum, field) for field in fields if hasattr(datum, field)}
            for datum in datums
        ]
    return results


def _import_targets(path: str) -> dict[str, Any]:
    """TOM Toolkit's target CSV import: each target's aliases, extras and permission groups."""
    from tom_targets.models import TargetExtra, TargetName
    from tom_targets.utils import import_targets

    with open(path, newline="") as handle:
        report = import_targets(handle)
    return {
        "errors": report["errors"],
        "targets": {
            target.name: {
                "aliases": sorted(name.name for name in TargetName.objects.filter(target=target)),
                "extras": {extra.key: extra.value for extra in TargetExtra.objects.filter(target=target)},
            }
            for target in report["targets"]
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2:]), default=str))
