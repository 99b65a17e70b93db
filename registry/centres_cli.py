"""``flask centres ...``: the treatment centres users and records belong to.

::

    flask centres list                                   # code, region, kind, names
    flask centres add CODE --name NAME [--name-ru NAME] --org-unit KG-C
                      [--kind narcological_dispensary] [--tdi-type 1]
    flask centres rename CODE [--name NAME] [--name-ru NAME]   # --name-ru "" clears it

The Russian interface shows ``name_ru`` (``name`` when it is empty). Commands own their
transaction: they commit on success and roll back on error.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from registry.cli import centre_coded, service_failure
from registry.codes import CENTRE_KINDS, TDI_CENTRE_TYPES
from registry.extensions import db
from registry.models import OrgUnit, TreatmentCentre
from registry.services import ServiceError

centres_cli = AppGroup("centres", help="Manage treatment centres and their names.")


@centres_cli.command("list")
def list_centres_command() -> None:
    """Print every centre: code, org unit, kind, TDI type, name and Russian name."""
    rows = db.session.execute(
        select(TreatmentCentre, OrgUnit.code)
        .join(OrgUnit, TreatmentCentre.org_unit_id == OrgUnit.id)
        .order_by(TreatmentCentre.code)
    ).all()
    for centre, unit_code in rows:
        click.echo(
            "\t".join(
                [
                    centre.code,
                    unit_code,
                    centre.kind,
                    centre.tdi_centre_type,
                    centre.name,
                    centre.name_ru or "-",
                ]
            )
        )


@centres_cli.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The centre's name (English or local).")
@click.option("--name-ru", help="Its Russian name, shown by the Russian interface.")
@click.option("--org-unit", "org_unit_code", required=True, help="Region or district code.")
@click.option(
    "--kind",
    default="narcological_dispensary",
    show_default=True,
    type=click.Choice(list(CENTRE_KINDS)),
    help="The local service type.",
)
@click.option(
    "--tdi-type",
    "tdi_centre_type",
    default="1",
    show_default=True,
    type=click.Choice(list(TDI_CENTRE_TYPES)),
    help="EMCDDA TDI treatment-centre type (1 outpatient, 2 inpatient, ...).",
)
def add_centre_command(
    code: str,
    name: str,
    name_ru: str | None,
    org_unit_code: str,
    kind: str,
    tdi_centre_type: str,
) -> None:
    """Add the centre CODE (e.g. CHU) in an existing region or district."""
    from registry.services.centres import add_centre

    try:
        centre = add_centre(
            code,
            name,
            org_unit_code=org_unit_code,
            kind=kind,
            tdi_centre_type=tdi_centre_type,
            name_ru=name_ru,
        )
    except ServiceError as error:
        raise service_failure(error) from error
    db.session.commit()
    click.echo(f"Created centre {centre.code}.")


@centres_cli.command("rename")
@click.argument("code")
@click.option("--name", help="The new name.")
@click.option("--name-ru", help='The new Russian name ("" removes it).')
def rename_centre_command(code: str, name: str | None, name_ru: str | None) -> None:
    """Change the name and/or the Russian name of the centre CODE."""
    from registry.services.centres import rename_centre

    centre = centre_coded(code.strip().upper(), "CODE")
    try:
        rename_centre(centre, name=name, name_ru=name_ru)
    except ServiceError as error:
        raise service_failure(error) from error
    db.session.commit()
    click.echo(f"Renamed centre {centre.code}: {centre.name} / {centre.name_ru or '-'}.")
