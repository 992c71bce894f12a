"""Admin pages: the staff list, adding staff, disabling and enabling them, their roles."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..comments.reserved_names import forget_staff_names
from ..core.db import db
from ..models import Role, StaffUser
from . import audit
from .auth import current_staff, staff_required
from .blueprint import bp
from .forms import DisplayNameForm, NewStaffForm, RoleForm
from .login import normalize_username
from .passwords import hash_password


def create_staff_user(username: str, password: str, role: Role) -> StaffUser:
    """Add a staff member to the session (audit-logged); the caller commits.

    Raises ValueError when the username is taken.
    """
    taken = db.session.scalar(sa.select(StaffUser.id).where(StaffUser.username == username))
    if taken is not None:
        raise ValueError(f"staff user {username!r} already exists")
    user = StaffUser(username=username, password_hash=hash_password(password), role=role)
    db.session.add(user)
    db.session.flush()
    audit.record("staff.create", "staff", user.id, after={"username": username, "role": role})
    return user


def _page(
    form: NewStaffForm, status: int = 200, name_errors: dict[int, list[str]] | None = None
) -> Response:
    users = db.session.scalars(sa.select(StaffUser).order_by(StaffUser.username)).all()
    body = render_template(
        "staff/accounts.html",
        users=users,
        form=form,
        role_form=RoleForm(),
        me=current_staff(),
        name_errors=name_errors or {},
    )
    return Response(body, status=status)


@bp.get("/accounts")
@staff_required(Role.ADMIN)
def accounts() -> Response:
    """Every staff member with their role and state, and the form to add one."""
    return _page(NewStaffForm())


@bp.post("/accounts")
@staff_required(Role.ADMIN)
def add_account() -> Response:
    """Add a staff member."""
    form = NewStaffForm()
    if not form.validate():
        return _page(form, 400)
    username = normalize_username(form.username.data)
    try:
        create_staff_user(username, form.password.data, Role(form.role.data))
    except ValueError:
        form.username.errors.append(_("This username is taken."))
        return _page(form, 409)
    db.session.commit()
    flash(_("Staff member %(name)s added.", name=username), "success")
    return redirect(url_for("staff.accounts"), code=303)


def _other_account(user_id: int) -> StaffUser | None:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    if user.id == current_staff().id:
        # An admin cannot lock themselves out (nor demote the last admin by accident).
        flash(_("You cannot disable your own account or change your own role."), "error")
        return None
    return user


@bp.post("/accounts/<int:user_id>/active/<any(on, off):state>")
@staff_required(Role.ADMIN)
def set_active(user_id: int, state: str) -> Response:
    """Disable or enable an account; a disabled one's sessions stop working at once."""
    user = _other_account(user_id)
    active = state == "on"
    if user is not None and user.active != active:
        audit.record(
            "staff.enable" if active else "staff.disable",
            "staff",
            user.id,
            before={"active": user.active},
            after={"active": active},
        )
        user.active = active
        db.session.commit()
    return redirect(url_for("staff.accounts"), code=303)


@bp.post("/accounts/<int:user_id>/role")
@staff_required(Role.ADMIN)
def set_role(user_id: int) -> Response:
    """Change an account's role."""
    user = _other_account(user_id)
    form = RoleForm()
    if not form.validate():
        abort(400)
    if user is not None and user.role != form.role.data:
        audit.record(
            "staff.role",
            "staff",
            user.id,
            before={"role": user.role},
            after={"role": form.role.data},
        )
        user.role = form.role.data
        db.session.commit()
    return redirect(url_for("staff.accounts"), code=303)


@bp.post("/accounts/<int:user_id>/display-name")
@staff_required(Role.ADMIN)
def set_display_name(user_id: int) -> Response:
    """Set the name shown on a staff member's comments (their own too); reserved for readers."""
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    form = DisplayNameForm()
    if not form.validate():
        return _page(NewStaffForm(formdata=None), 422, {user.id: form.display_name.errors})
    name = form.display_name.data or None
    if name != user.display_name:
        audit.record(
            "staff.display_name",
            "staff",
            user.id,
            before={"display_name": user.display_name},
            after={"display_name": name},
        )
        user.display_name = name
        db.session.commit()
        forget_staff_names()
        flash(_("Display name saved."), "success")
    return redirect(url_for("staff.accounts"), code=303)
