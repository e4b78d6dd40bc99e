"""Signing up, in and out; the password (change, reset by a link); the page language."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loadguard.app import accounts
from loadguard.app.accounts import AccountError, NewAccount
from loadguard.i18n import LANGUAGES
from loadguard.store.users import User
from loadguard.web.context import (
    SESSION_COOKIE,
    FormDep,
    UserDep,
    WebDep,
    back_to,
    field,
    page,
    set_cookie,
    viewer,
)

router = APIRouter()
SESSION_SECONDS = accounts.SESSION_DAYS * 24 * 3600


def _signed_in(response: Response, web: WebDep, token: str) -> Response:
    set_cookie(response, web, SESSION_COOKIE, token, SESSION_SECONDS)
    return response


def home_of(user: User | None) -> str:
    """A runner's Today, a coach's athlete list, else the account page."""
    if user is not None and user.athlete_id:
        return f"/a/{user.athlete_id}/"
    return "/coach" if user is not None and user.has_role("coach") else "/account"


@router.get("/", response_class=HTMLResponse)
def home(request: Request, web: WebDep) -> Response:
    user = viewer(request, web)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_of(user), status_code=303)


def _local(target: str) -> str:
    """Where to go after logging in: a path on this site only (no open redirect)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return ""


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, web: WebDep) -> Response:
    then = _local(request.query_params.get("next", ""))
    return page(request, web, "login.html", None, {"signup": web.conf.web.signup, "next": then})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, web: WebDep, form: FormDep) -> Response:
    email = field(form, "email")
    address = request.client.host if request.client else "?"
    try:
        token = accounts.sign_in(web.store(), email, str(form.get("password") or ""), address)
    except AccountError as exc:
        status = 429 if isinstance(exc, accounts.TooManyAttempts) else 400
        values = {
            "errors": {"password": exc},
            "form": {"email": email},
            "next": field(form, "next"),
        }
        return page(
            request, web, "login.html", None, {**values, "signup": web.conf.web.signup}, status
        )
    user = accounts.session_user(web.store(), token)
    then = _local(field(form, "next")) or home_of(user)
    return _signed_in(back_to(then), web, token)


@router.post("/logout")
def logout(request: Request, web: WebDep, form: FormDep) -> Response:
    del form
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.sign_out(web.store(), token)
    response = back_to("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, web: WebDep) -> Response:
    if not web.conf.web.signup:
        return page(request, web, "closed.html", None, status=404)
    return page(request, web, "signup.html", None, {"today": datetime.now(UTC).date().isoformat()})


def _roles(form: FormDep) -> tuple[str, ...]:
    return tuple(r for r in accounts.ROLES if form.get(f"role_{r}"))


@router.post("/signup", response_class=HTMLResponse)
def signup(request: Request, web: WebDep, form: FormDep) -> Response:
    if not web.conf.web.signup:
        return page(request, web, "closed.html", None, status=404)
    values = {k: field(form, k) for k in ("email", "name", "plan_start", "timezone", "language")}
    language = values["language"] if values["language"] in LANGUAGES else "en"
    try:
        start = date.fromisoformat(values["plan_start"]) if values["plan_start"] else None
    except ValueError:
        return _signup_error(request, web, values, "plan_start", "bad_date")
    roles = _roles(form) or ("runner",)
    try:
        user = accounts.add_account(
            web.store(),
            NewAccount(
                email=values["email"],
                name=values["name"],
                password=str(form.get("password") or ""),
                roles=roles,
                plan_start=start,
                timezone=values["timezone"],
                language=language,
            ),
        )
    except AccountError as exc:
        return _signup_error(request, web, values, exc.field or "email", exc)
    token = accounts.open_session(web.store(), user)
    return _signed_in(back_to(home_of(user)), web, token)


def _signup_error(
    request: Request, web: WebDep, values: dict[str, str], name: str, problem: object
) -> Response:
    context = {
        "errors": {name: problem},
        "form": values,
        "today": datetime.now(UTC).date().isoformat(),
    }
    return page(request, web, "signup.html", None, context, 400)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, web: WebDep, user: UserDep) -> Response:
    return page(request, web, "account.html", user)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, web: WebDep, user: UserDep, form: FormDep) -> Response:
    try:
        token = accounts.change_password(
            web.store(), user, str(form.get("current") or ""), str(form.get("new") or "")
        )
    except AccountError as exc:
        name = exc.field if exc.field == "current" else "new"
        return page(request, web, "account.html", user, {"errors": {name: exc}}, 400)
    return _signed_in(back_to("/account?changed=password"), web, token)


@router.post("/account/language")
def change_language(request: Request, web: WebDep, user: UserDep, form: FormDep) -> Response:
    chosen = field(form, "language")
    if chosen not in LANGUAGES:
        return page(request, web, "account.html", user, {"errors": {"language": "language"}}, 400)
    accounts.set_language(web.store(), user, chosen)
    return back_to(str(request.headers.get("referer") or "/account"))


@router.get("/reset", response_class=HTMLResponse)
def reset_request_page(request: Request, web: WebDep) -> Response:
    return page(request, web, "reset_request.html", None)


@router.post("/reset", response_class=HTMLResponse)
def reset_request(request: Request, web: WebDep, form: FormDep) -> Response:
    base = web.conf.web.base_url or str(request.base_url).rstrip("/")
    accounts.request_reset(web.store(), field(form, "email"), base)
    return page(request, web, "reset_request.html", None, {"sent": True})


@router.get("/reset/{token}", response_class=HTMLResponse)
def reset_page(request: Request, web: WebDep, token: str) -> Response:
    return page(request, web, "reset.html", None, {"token": token})


@router.post("/reset/{token}", response_class=HTMLResponse)
def reset(request: Request, web: WebDep, token: str, form: FormDep) -> Response:
    try:
        session = accounts.reset_password(web.store(), token, str(form.get("new") or ""))
    except AccountError as exc:
        name = "token" if exc.field == "token" else "new"
        return page(request, web, "reset.html", None, {"token": token, "errors": {name: exc}})
    user = accounts.session_user(web.store(), session)
    return _signed_in(back_to(home_of(user)), web, session)
