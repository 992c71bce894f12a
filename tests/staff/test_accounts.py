"""Admin pages for staff accounts, the create-staff command and the demo accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from werkzeug.security import check_password_hash

from polls_site.core.db import db
from polls_site.models import Role, StaffUser
from polls_site.staff.auth import has_role
from tests.support.factories import PASSWORD, make_staff
from tests.support.staff import StaffClient, audit_rows


def user(app: Flask, username: str) -> StaffUser | None:
    with app.app_context():
        found = db.session.scalar(sa.select(StaffUser).where(StaffUser.username == username))
        db.session.remove()
        return found


def test_roles_are_ordered() -> None:
    admin, editor, moderator = (
        StaffUser(role=r) for r in (Role.ADMIN, Role.EDITOR, Role.MODERATOR)
    )
    assert has_role(admin, Role.EDITOR) and has_role(admin, Role.MODERATOR)
    assert has_role(editor, Role.MODERATOR) and not has_role(editor, Role.ADMIN)
    assert not has_role(moderator, Role.EDITOR)


def test_admin_adds_a_moderator_who_can_then_log_in(app: Flask, admin) -> None:
    reply = admin.post(
        "/staff/accounts", {"username": "Olga", "password": "long enough pw", "role": "moderator"}
    )
    assert reply.status_code == 303
    olga = user(app, "olga")
    assert olga.role == "moderator" and olga.password_hash.startswith("scrypt:")
    assert StaffClient(app.test_client()).login("olga", "long enough pw").status_code == 303
    [row] = audit_rows(app, "staff.create")
    assert row.staff_name == "boss" and row.after == {"username": "olga", "role": "moderator"}


def test_add_refuses_bad_input_with_messages(app: Flask, admin) -> None:
    short = admin.post("/staff/accounts", {"username": "x", "password": "short", "role": "admin"})
    assert short.status_code == 400 and "Не менее 10 символов." in short.get_data(as_text=True)
    bad_role = admin.post(
        "/staff/accounts", {"username": "x", "password": "long enough pw", "role": "root"}
    )
    assert bad_role.status_code == 400
    taken = admin.post(
        "/staff/accounts", {"username": "boss", "password": "long enough pw", "role": "editor"}
    )
    assert taken.status_code == 409 and "уже занято" in taken.get_data(as_text=True)
    assert user(app, "x") is None


def test_disable_enable_and_role_change_are_logged(app: Flask, admin) -> None:
    target = make_staff(app, "mod", Role.MODERATOR)
    moderator = StaffClient(app.test_client())
    assert moderator.login("mod").status_code == 303
    assert admin.post(f"/staff/accounts/{target}/role", {"role": "editor"}).status_code == 303
    assert user(app, "mod").role == "editor"
    assert admin.post(f"/staff/accounts/{target}/active/off").status_code == 303
    assert user(app, "mod").active is False
    assert moderator.get("/staff/queue").status_code in (302, 303)  # session ended
    assert admin.post(f"/staff/accounts/{target}/active/on").status_code == 303
    assert user(app, "mod").active is True
    actions = [
        (r.action, r.before, r.after)
        for r in audit_rows(app)
        if r.target_id == str(target) and r.action != "staff.login"
    ]
    assert actions == [
        ("staff.role", {"role": "moderator"}, {"role": "editor"}),
        ("staff.disable", {"active": True}, {"active": False}),
        ("staff.enable", {"active": False}, {"active": True}),
    ]


def test_admin_cannot_lock_themselves_out(app: Flask, admin) -> None:
    me = user(app, "boss").id
    admin.post(f"/staff/accounts/{me}/active/off")
    admin.post(f"/staff/accounts/{me}/role", {"role": "moderator"})
    boss = user(app, "boss")
    assert boss.active and boss.role == "admin"
    assert "Нельзя отключить свою учётную запись" in admin.get("/staff/accounts").get_data(True)


def test_create_staff_command(app: Flask, runner) -> None:
    result = runner.invoke(
        args=["create-staff", "Chief", "--role", "admin", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    chief = user(app, "chief")
    assert chief.role == "admin" and check_password_hash(chief.password_hash, PASSWORD)
    [row] = audit_rows(app, "staff.create")
    assert row.staff_name == "(command line)"
    again = runner.invoke(args=["create-staff", "chief", "--role", "admin", "--password", PASSWORD])
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["create-staff", "x", "--role", "editor", "--password", "short"])
    assert short.exit_code != 0 and user(app, "x") is None
    bad = runner.invoke(args=["create-staff", "y", "--role", "root", "--password", PASSWORD])
    assert bad.exit_code != 0


def test_create_staff_prompts_for_the_password(app: Flask, runner) -> None:
    result = runner.invoke(
        args=["create-staff", "ed", "--role", "editor"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert check_password_hash(user(app, "ed").password_hash, PASSWORD)


def test_demo_accounts_get_fresh_passwords(app: Flask) -> None:
    from polls_site.staff.commands import demo_accounts

    with app.app_context():
        first = demo_accounts()
        second = demo_accounts()
    assert [(u, r) for u, r, _ in first] == [
        ("moderator", "moderator"),
        ("editor", "editor"),
        ("admin", "admin"),
    ]
    assert first[0][2] != second[0][2]
    assert StaffClient(app.test_client()).login("moderator", second[0][2]).status_code == 303
    assert StaffClient(app.test_client()).login("moderator", first[0][2]).status_code == 401
