"""``flask tokens ...``: API tokens for machine access (see :mod:`registry.auth.tokens`).

::

    flask tokens create NAME [--name LABEL] [--expires DAYS]   # prints the token once
    flask tokens list [NAME]                                  # states, last use; no secrets
    flask tokens revoke ID                                    # stops the token at once

A token acts as its user, with the user's role, on ``/api/`` only. Commands own their
transaction: they commit on success and roll back on error.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from registry.auth.tokens import create_token, list_tokens, revoke_token, token_state
from registry.cli import user_named
from registry.extensions import db
from registry.models import ApiToken
from registry.services import ServiceError

tokens_cli = AppGroup("tokens", help="Manage API tokens (machine access to /api/).")


@tokens_cli.command("create")
@click.argument("username")
@click.option("--name", "label", default="", help="A label, e.g. the system that uses it.")
@click.option("--expires", "days", type=click.IntRange(min=1), help="Expire after DAYS days.")
def create_token_command(username: str, label: str, days: int | None) -> None:
    """Create a token acting as USERNAME and print it (it is shown only this once)."""
    user = user_named(username, "USERNAME")
    try:
        token, secret = create_token(user, label, days)
    except ServiceError as error:
        db.session.rollback()
        with force_locale("en"):
            message = f"{error.field or 'token'}: {error}"
        raise click.ClickException(message) from error
    db.session.commit()
    expiry = f", expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
    click.echo(f"Token {token.id} for {user.username} ({user.role}){expiry}:", err=True)
    click.echo(secret)
    click.echo("Store it now: it cannot be shown again. Send it as", err=True)
    click.echo("  Authorization: Bearer <token>", err=True)


@tokens_cli.command("list")
@click.argument("username", required=False)
def list_tokens_command(username: str | None) -> None:
    """List the tokens (of USERNAME), with their state; never the tokens themselves."""
    user = user_named(username, "USERNAME") if username else None
    tokens = list_tokens(user)
    if not tokens:
        click.echo("No tokens.")
        return
    header = f"{'id':>4}  {'user':<16} {'role':<15} {'state':<14} {'created':<10} {'last used':<10}"
    click.echo(f"{header} name")
    for token in tokens:
        used = f"{token.last_used_at:%Y-%m-%d}" if token.last_used_at else "never"
        click.echo(
            f"{token.id:>4}  {token.user.username:<16} {token.user.role:<15} "
            f"{token_state(token):<14} {token.created_at:%Y-%m-%d} {used:<10} {token.name}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token_command(token_id: int) -> None:
    """Revoke the token with id TOKEN_ID (see ``flask tokens list``)."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.BadParameter(f"no token with id {token_id}", param_hint="TOKEN_ID")
    revoke_token(token)
    db.session.commit()
    click.echo(f"Token {token.id} of {token.user.username} revoked.")
