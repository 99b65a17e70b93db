"""Flask commands: ``flask users ...``, ``flask demo ...``.

::

    flask users create NAME --role ROLE [--centre CODE]   # asks for the password twice
    flask users set-password NAME [--revoke-tokens]       # asks for the new one twice
    flask users set-role NAME --role ROLE [--centre CODE]
    flask users deactivate NAME                           # can no longer log in
    flask users unlock NAME                               # lift a sign-in lockout
    flask demo load [--country KG|KZ|TJ|UZ] [--years 1998-2004] [--scale 1.0] [--seed N]
                    [--truth-out FILE] [--lists-out DIR] [--workers N] [--if-empty]
                                                          # a simulated national registry
    flask demo logins                                     # prints the demo accounts
    flask tokens create|list|revoke ...                   # API tokens (registry.tokens_cli)
    flask centres list|add|rename ...                     # centres (registry.centres_cli)

Commands own their transaction: they commit on success and roll back on error.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from registry.extensions import db
from registry.models import TreatmentCentre, User
from registry.models.users import ROLE_NAMES
from registry.services import ServiceError
from registry.simulation.cli import load_command

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Load and describe the demo registry.")
demo_cli.add_command(load_command)


def init_commands(app: Flask) -> None:
    """Register the command groups on ``app``."""
    from registry.analytics_cli import analytics_cli
    from registry.centres_cli import centres_cli
    from registry.tokens_cli import tokens_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(analytics_cli)
    app.cli.add_command(centres_cli)


@users_cli.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLE_NAMES), help="The user's role.")
@click.option("--centre", "centre_code", help="Centre code (clinic staff only), e.g. RNC.")
@click.password_option(help="Prompted for (twice) when not given.")
def create_user_command(name: str, role: str, centre_code: str | None, password: str) -> None:
    """Create the user NAME with ROLE (and, for clinic staff, their --centre)."""
    from registry.services.users import create_user

    centre = centre_coded(centre_code)
    try:
        user = create_user(name, password, role, centre)
    except ServiceError as error:
        raise service_failure(error) from error
    db.session.commit()
    click.echo(f"Created user {user.username} ({user.role}).")


def centre_coded(code: str | None, param_hint: str = "--centre") -> TreatmentCentre | None:
    """The centre with ``code`` (``None`` for no code) or a usage error naming --centre."""
    if not code:
        return None
    centre = db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == code))
    if centre is None:
        raise click.BadParameter(f"no centre with code {code!r}", param_hint=param_hint)
    return centre


def service_failure(error: ServiceError, field: str | None = None) -> click.ClickException:
    """Roll back and turn a broken rule into a CLI error naming the field."""
    db.session.rollback()
    with force_locale("en"):  # the message is a lazy string; there is no request here
        message = f"{field or error.field or 'user'}: {error}"
    return click.ClickException(message)


def user_named(name: str, param_hint: str = "NAME") -> User:
    """The user called ``name`` (any case, surrounding spaces ignored) or a usage error."""
    user = db.session.scalar(select(User).where(User.username == name.strip().lower()))
    if user is None:
        raise click.BadParameter(f"no user named {name!r}", param_hint=param_hint)
    return user


@users_cli.command("set-password")
@click.argument("name")
@click.password_option(help="Prompted for (twice) when not given.")
@click.option("--revoke-tokens", is_flag=True, help="Also revoke every API token of the user.")
def set_password_command(name: str, password: str, revoke_tokens: bool) -> None:
    """Give the user NAME a new password (their sessions end; --revoke-tokens: tokens too)."""
    from registry.auth.tokens import list_tokens, revoke_token, token_state
    from registry.services.users import set_password

    user = user_named(name)
    try:
        set_password(user, password)
    except ServiceError as error:
        raise service_failure(error, "password") from error
    working = [t for t in list_tokens(user) if token_state(t) == "active"]
    if revoke_tokens:
        for token in working:
            revoke_token(token)
    db.session.commit()
    click.echo(f"Password of {user.username} changed; their sessions have ended.")
    if revoke_tokens:
        click.echo(f"{len(working)} API token(s) revoked.")
    elif working:
        ids = ", ".join(str(t.id) for t in working)
        click.echo(
            f"{len(working)} API token(s) of {user.username} still work (ids {ids}): if the "
            "password was exposed, revoke them with `flask tokens revoke ID` or run this "
            "again with --revoke-tokens."
        )


@users_cli.command("set-role")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLE_NAMES), help="The new role.")
@click.option("--centre", "centre_code", help="Centre code (clinic staff only), e.g. RNC.")
def set_role_command(name: str, role: str, centre_code: str | None) -> None:
    """Give the user NAME a new ROLE (and, for clinic staff, their --centre)."""
    from registry.services.users import set_role

    user = user_named(name)
    try:
        set_role(user, role, centre_coded(centre_code))
    except ServiceError as error:
        raise service_failure(error) from error
    db.session.commit()
    click.echo(f"User {user.username} is now {user.role}; their sessions have ended.")


@users_cli.command("deactivate")
@click.argument("name")
def deactivate_command(name: str) -> None:
    """Stop the user NAME from logging in (their records and audit trail stay)."""
    from registry.services.users import deactivate_user

    user = user_named(name)
    deactivate_user(user)
    db.session.commit()
    click.echo(f"User {user.username} can no longer log in; their sessions have ended.")


@users_cli.command("unlock")
@click.argument("name")
def unlock_command(name: str) -> None:
    """Lift the sign-in lockout of NAME (existing or not) and forget its failures."""
    from registry.auth.throttle import unlock

    had_failures = unlock(name)
    db.session.commit()
    click.echo(f"{name.strip().lower()}: " + ("unlocked." if had_failures else "no failures."))


@demo_cli.command("logins")
def demo_logins_command() -> None:
    """Print the demo accounts (only those that exist in this database)."""
    from registry.demo import DEMO_LOGINS, DEMO_PASSWORD

    existing = set(db.session.scalars(select(User.username)))
    rows = [login for login in DEMO_LOGINS if login[0] in existing]
    if not rows or current_app.config["REGISTRY_ENV"] == "production":
        click.echo("No demo logins in this database.")
        return
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for username, role, centre in rows:
        click.echo(f"  {username:<16} {role:<16} {centre or ''}".rstrip())
