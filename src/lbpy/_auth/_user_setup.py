"""What a User-based model and an AccessToken model get when the app is built: their operation
hooks, validations and LoopBack's User remote methods (login, logout, change-password, reset,
reset-password, confirm, verify), with their routes and statuses.

A password given to ``create``, ``update_attributes`` or any other write is hashed before it is
stored, from REST and from Python alike. Changing a user's password or e-mail ends its other
tokens; deleting a user ends all of them. Over REST, ``emailVerified`` and ``verificationToken``
are not the client's to set (LoopBack let a new user mark its own e-mail verified).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio.to_thread

from .._errors import BadRequestError, UnauthorizedError
from .._model._persisted import Context, Model
from .._model._remote_definition import Accept, Endpoint, RemoteMethod, Returns
from .._model._remote_methods import RemoteContext
from ._models import RESET_SCOPE, UserModel, email_validator, setting
from ._passwords import is_hashed
from ._throttle import account_key
from ._tokens import new_token_id, sign_cookie

if TYPE_CHECKING:
    from ._service import AccessControl, CallAccess

_OPTIONS = Accept("options", "object", "options")
_REST_WRITES = (
    "create",
    "patchOrCreate",
    "replaceOrCreate",
    "upsertWithWhere",
    "replaceById",
    "updateAll",
    "prototype.patchAttributes",
)
_REDIRECT_SCHEMES = ("http://", "https://")


def set_up_token_model(model: type[Model]) -> None:
    @model.observe("before save")
    def token_id(ctx: Context) -> None:
        if ctx.instance is not None and ctx.is_new_instance and not ctx.instance.get("id"):
            ctx.instance.__data__["id"] = new_token_id()


def set_up_user_model(model: type[UserModel], control: AccessControl) -> None:
    if model.__bases__[0] is UserModel:
        for method in user_methods(model.spec.name):
            model._runtime.remote_methods[method.full_name] = method
    model._runtime.validators.append(email_validator)
    scoped = ["realm"] if setting(model, "realmRequired") and setting(model, "realmDelimiter") else None
    model.validates_uniqueness_of("email", message="Email already exists", scoped_to=scoped)
    model.validates_uniqueness_of("username", message="User already exists", scoped_to=scoped)
    passwords = control.passwords

    @model.observe("access")
    def lower_case_email(ctx: Context) -> None:
        where = ctx.query.where if ctx.query is not None else None
        if setting(ctx.Model, "caseSensitiveEmail", True) or not where:
            return
        condition = where.get("email")
        if isinstance(condition, dict) and isinstance(condition.get("eq"), str):
            where["email"] = {**condition, "eq": condition["eq"].lower()}

    @model.observe("before save")
    async def hash_password(ctx: Context) -> None:
        data = ctx.instance.__data__ if ctx.instance is not None else ctx.data
        if not data:
            return
        if (
            "password" in data
            and not ctx.is_new_instance
            and setting(ctx.Model, "rejectPasswordChangesViaPatchOrReplace")
            and not ctx.options.get("setPassword")
        ):
            raise UnauthorizedError(
                "Changing user password via patch/replace API is not allowed. "
                "Use changePassword() or setPassword() instead.",
                code="PASSWORD_CHANGE_NOT_ALLOWED",
            )
        plain = data.get("password")
        if isinstance(plain, str) and plain and not is_hashed(plain):
            data["password"] = await anyio.to_thread.run_sync(passwords.hash, plain)

    @model.observe("before save")
    def not_for_clients(ctx: Context) -> None:
        """A client does not set its own e-mail verification, whichever REST route writes the
        user (its own, or another model's relation route): a REST call's options carry its
        access (LoopBack cleared only emailVerified, and only on its own create). It runs
        before the hook that clears emailVerified when the e-mail changes."""
        if not (ctx.options or {}).get("_auth"):
            return  # Python code (a boot script, confirm, verify) sets them
        data = ctx.instance.__data__ if ctx.instance is not None else ctx.data
        if not data:
            return
        data.pop("verificationToken", None)
        if ctx.is_new_instance:
            if data.get("emailVerified"):
                data["emailVerified"] = False
        else:
            data.pop("emailVerified", None)

    @model.observe("before save")
    async def remember_credentials(ctx: Context) -> None:
        if ctx.is_new_instance:
            return
        data = ctx.instance.__data__ if ctx.instance is not None else ctx.data
        if not data or ("email" not in data and "password" not in data):
            return
        where = ctx.where
        if not where:
            assert ctx.instance is not None  # a save without a where saves one instance
            where = {ctx.Model.spec.id_name or "id": ctx.instance.id}
        users = await ctx.Model.find({"where": where})
        ctx.hook_state["originalUserData"] = [(u.id, u.get("email"), u.get("password")) for u in users]
        new_email = data.get("email")
        if (
            new_email
            and setting(ctx.Model, "emailVerificationRequired")
            and any(email != new_email for _, email, _ in ctx.hook_state["originalUserData"])
        ):
            data["emailVerified"] = False

    @model.observe("after save")
    async def end_other_tokens(ctx: Context) -> None:
        original = ctx.hook_state.get("originalUserData")
        if not original or ctx.options.get("preserveAccessTokens"):
            return
        data = ctx.instance.__data__ if ctx.instance is not None else (ctx.data or {})
        email, password = data.get("email"), data.get("password")
        changed = [
            uid
            for uid, old_email, old_password in original
            if (email and old_email != email) or (password and old_password != password)
        ]
        if changed:
            current = ctx.options.get("accessToken")
            await _end_tokens(ctx.Model, control, changed, current.id if current is not None else None)

    @model.observe("before delete")
    async def end_all_tokens(ctx: Context) -> None:
        id_name = ctx.Model.spec.id_name or "id"
        users = await ctx.Model.find({"where": ctx.where or {}, "fields": [id_name]})
        ids = [u.id for u in users]
        ctx.where = {id_name: {"inq": ids}}
        if ids:
            await _end_tokens(ctx.Model, control, ids, None)

    for name in _REST_WRITES:
        model.before_remote(name, _not_for_clients)


async def _end_tokens(model: type[Model], control: AccessControl, user_ids: list[Any], keep: Any) -> None:
    relation = model._runtime.relations.get("accessTokens")
    if relation is None or relation.target is None or relation.target.datasource is None:
        return
    where: dict[str, Any] = {"userId": {"inq": user_ids}}
    if keep is not None:
        where = {"and": [where, {"id": {"neq": keep}}]}
    await relation.target.destroy_all(where)
    control.forget_tokens()


def _not_for_clients(ctx: RemoteContext) -> None:
    """The same, in the body of the user model's own routes, so that their answers do not show
    what was not stored."""
    data = ctx.args.get("data")
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict):
            item.pop("verificationToken", None)
            if ctx.method.name == "create":
                if item.get("emailVerified"):
                    item["emailVerified"] = False
            else:
                item.pop("emailVerified", None)


# -- the remote methods ------------------------------------------------------------------------


def _access(options: dict[str, Any] | None) -> CallAccess | None:
    return (options or {}).get("_auth")


async def _login(
    Model: type[UserModel], credentials: Any = None, include: Any = None, options: dict[str, Any] | None = None
) -> Model:
    control = Model._auth()
    access = _access(options)
    if credentials is None:
        credentials = {}
    if not isinstance(credentials, dict):
        raise BadRequestError(
            "credentials must be an object with email or username, and password", code="INVALID_CREDENTIALS"
        )
    account = account_key(Model.spec.name, credentials)
    client = access.client if access is not None else None
    throttle = control.throttle
    if throttle is not None:
        await throttle.check(account, client)
    try:
        token = await Model.login(credentials, include, options)
    except UnauthorizedError as exc:
        if exc.code == "LOGIN_FAILED" and throttle is not None:
            await throttle.failed(account, client)
        raise
    if throttle is not None:
        await throttle.succeeded(account)
    secret = control.settings.cookie_secret
    if access is not None and secret:
        ttl = token.get("ttl")
        age = f"; Max-Age={int(ttl)}" if isinstance(ttl, (int, float)) and ttl > 0 else ""
        value = sign_cookie(token.id, secret).replace(":", "%3A")
        access.response_headers.append((b"set-cookie", _cookie(f"access_token={value}{age}", access)))
    return token


async def _logout(Model: type[UserModel], options: dict[str, Any] | None = None) -> None:
    token = (options or {}).get("accessToken")
    await Model.logout(token.id if token is not None else None, options)
    access = _access(options)
    if access is not None and Model._auth().settings.cookie_secret:
        access.response_headers.append((b"set-cookie", _cookie("access_token=; Max-Age=0", access)))


def _cookie(value: str, access: CallAccess) -> bytes:
    """The token cookie: never readable by scripts, not sent on other sites' requests, and over
    HTTPS only sent back over HTTPS."""
    secure = "; Secure" if access.secure else ""
    return f"{value}; Path=/; HttpOnly; SameSite=Lax{secure}".encode("latin-1")


async def _verify(instance: UserModel, options: dict[str, Any] | None = None) -> None:
    await instance.verify(None, options)


async def _confirm(
    Model: type[UserModel],
    uid: Any = None,
    token: Any = None,
    redirect: Any = None,
    options: dict[str, Any] | None = None,
) -> None:
    if redirect is not None:
        redirect = _safe_redirect(Model, redirect)
    await Model.confirm(uid, token, redirect)
    access = _access(options)
    if redirect is not None and access is not None:
        access.status = 302
        access.response_headers.append((b"location", redirect.encode("utf-8")))


def _safe_redirect(Model: type[UserModel], redirect: Any) -> str:
    """A path on this server, or a URL on one of ``auth.redirectOrigins`` (LoopBack redirected
    anywhere it was told, which made it an open redirect)."""
    text = str(redirect)
    if text.startswith("/") and not text.startswith(("//", "/\\")):
        return text
    allowed = Model._auth().redirect_origins
    if text.startswith(_REDIRECT_SCHEMES) and any(text == o or text.startswith(o.rstrip("/") + "/") for o in allowed):
        return text
    raise BadRequestError(
        "redirect must be a path on this server, or a URL on one of the origins "
        "auth.redirectOrigins in server/config.json lists",
        code="INVALID_REDIRECT",
    )


async def _reset_password(Model: type[UserModel], options: Any = None, remoting: dict[str, Any] | None = None) -> None:
    control = Model._auth()
    if not isinstance(options, dict) or not isinstance(options.get("email"), str):
        raise BadRequestError("Email is required", code="EMAIL_REQUIRED")
    if options.get("password"):
        Model.validate_password(options["password"])
    access = _access(remoting)
    account = account_key(Model.spec.name, options)
    client = access.client if access is not None else None
    if control.throttle is not None:
        await control.throttle.check(account, client)
        await control.throttle.failed(account, client)
    # the answer does not wait for the look-up and the e-mail: it is the same for every address
    control.run_in_background(Model.reset_password(dict(options)))


async def _change_password(
    Model: type[UserModel], oldPassword: Any = None, newPassword: Any = None, options: dict[str, Any] | None = None
) -> None:
    token = (options or {}).get("accessToken")
    await Model.change_password(token.get("userId") if token is not None else None, oldPassword, newPassword, options)


async def _set_password(Model: type[UserModel], newPassword: Any = None, options: dict[str, Any] | None = None) -> None:
    token = (options or {}).get("accessToken")
    await Model.set_password(token.get("userId") if token is not None else None, newPassword, options)
    scopes = token.get("scopes") if token is not None else None
    if token is not None and isinstance(scopes, list) and RESET_SCOPE in scopes:
        # a reset token sets the password once (LoopBack's lived on for its 15 minutes)
        await Model.logout(token.id, options)


def user_methods(model_name: str) -> list[RemoteMethod]:
    """LoopBack 3's User remote methods, with its routes and arguments."""
    return [
        RemoteMethod(
            name="login",
            fn=_login,
            accepts=[
                Accept("credentials", "object", "body"),
                Accept(
                    "include",
                    ["string"],
                    "query",
                    description="Related objects to include in the response. See the description "
                    "of return value for more details.",
                ),
                _OPTIONS,
            ],
            returns=[
                Returns(
                    "accessToken",
                    "object",
                    True,
                    "The response body contains properties of the AccessToken created on login.\n"
                    "Depending on the value of `include` parameter, the body may contain additional "
                    "properties:\n\n  - `user` - `U+007BUserU+007D` - Data of the currently logged in "
                    "user. (`include=user`)\n\n",
                )
            ],
            http=[Endpoint("POST", "/login")],
            description="Login a user with username/email and password.",
        ),
        RemoteMethod(
            name="logout",
            fn=_logout,
            accepts=[_OPTIONS],
            http=[Endpoint("POST", "/logout")],
            description="Logout a user with access token.",
        ),
        RemoteMethod(
            name="verify",
            fn=_verify,
            accepts=[_OPTIONS],
            http=[Endpoint("POST", "/:id/verify")],
            is_static=False,
            description="Trigger user's identity verification with configured verifyOptions",
        ),
        RemoteMethod(
            name="confirm",
            fn=_confirm,
            accepts=[
                Accept("uid", "string", "query", True),
                Accept("token", "string", "query", True),
                Accept("redirect", "string", "query"),
                _OPTIONS,
            ],
            http=[Endpoint("GET", "/confirm")],
            description="Confirm a user registration with identity verification token.",
        ),
        RemoteMethod(
            name="resetPassword",
            fn=_reset_password,
            accepts=[Accept("options", "object", "body"), Accept("remoting", "object", "options")],
            http=[Endpoint("POST", "/reset")],
            description="Reset password for a user with email.",
        ),
        RemoteMethod(
            name="changePassword",
            fn=_change_password,
            accepts=[
                Accept("oldPassword", "string", "form", True),
                Accept("newPassword", "string", "form", True),
                _OPTIONS,
            ],
            http=[Endpoint("POST", "/change-password")],
            description="Change a user's password.",
        ),
        RemoteMethod(
            name="setPassword",
            fn=_set_password,
            accepts=[Accept("newPassword", "string", "form", True), _OPTIONS],
            http=[Endpoint("POST", "/reset-password")],
            description="Reset user's password via a password-reset token.",
        ),
    ]
