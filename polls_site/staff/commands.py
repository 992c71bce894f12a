"""Staff accounts from the command line: `create-staff`, `reset-password`, the demo's accounts."""

from __future__ import annotations

import re
import secrets

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..core.db import db
from ..models import Role, StaffUser
from . import audit
from .accounts import create_staff_user
from .login import normalize_username
from .passwords import MIN_PASSWORD_LENGTH, hash_password

USERNAME = re.compile(r"^[a-z0-9_.-]{1,50}$")

DEMO_ACCOUNTS = (("moderator", Role.MODERATOR), ("editor", Role.EDITOR), ("admin", Role.ADMIN))


@click.command("create-staff")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given.",
)
@with_appcontext
def create_staff_command(username: str, role: str, password: str) -> None:
    """Create a staff account (moderator, editor or admin)."""
    username = normalize_username(username)
    if not USERNAME.match(username):
        raise click.BadParameter(
            "latin letters, digits, dot, dash and underscore only", param_hint="USERNAME"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    try:
        create_staff_user(username, password, Role(role))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"staff user {username} ({role}) created")


@click.command("reset-password")
@click.argument("username")
@with_appcontext
def reset_password_command(username: str) -> None:
    """Set a staff account's password, asked for twice at a prompt (never on the command
    line, where shell history and the process list keep it). Every session of the
    account ends."""
    user = db.session.scalar(
        sa.select(StaffUser).where(StaffUser.username == normalize_username(username))
    )
    if user is None:
        raise click.ClickException(f"no staff user {username!r}")
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    # The session fingerprint covers the hash: a new hash ends the old sessions.
    user.password_hash = hash_password(password)
    audit.record("staff.password", "staff", user.id, reason="command line")
    db.session.commit()
    click.echo(f"password of {user.username} changed; their sessions have ended")


def demo_accounts() -> list[tuple[str, str, str]]:
    """Make (or reset) the demo's moderator, editor and admin with fresh passwords.

    Returns (username, role, password) for each, to print.
    """
    accounts = []
    for username, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        user = db.session.scalar(sa.select(StaffUser).where(StaffUser.username == username))
        if user is None:
            create_staff_user(username, password, role)
        else:
            user.password_hash = hash_password(password)
            user.role, user.active = role, True
            audit.record("staff.password", "staff", user.id, reason="demo")
        accounts.append((username, role.value, password))
    db.session.commit()
    return accounts
