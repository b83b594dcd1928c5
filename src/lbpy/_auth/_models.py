"""What LoopBack's built-in User, AccessToken, Role, RoleMapping and ACL models do.

The model builder makes the app's ``User`` (and so every model with ``"base": "User"``) from
``UserModel``, and likewise for the others, so their methods are there for REST, boot scripts and
model code alike. Each class reaches the app's access control (``lbpy._auth._service``) through
its runtime record, set when the app is built.

Python names for LoopBack's: ``User.login(credentials, include)``, ``User.logout(token_id)``,
``user.create_access_token(ttl)``, ``user.has_password(plain)``,
``User.change_password(user_id, old, new)``, ``User.set_password(user_id, new)``,
``User.reset_password({"email": ...})``, ``User.confirm(uid, token)``, ``user.verify()``;
``User.on("resetPasswordRequest", fn)`` and ``User.on("verificationRequest", fn)`` receive what
LoopBack's event and e-mail carried; ``Role.register_resolver(name, fn)``.
"""

from __future__ import annotations

import html
import inspect
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio.to_thread

from .._errors import BadRequestError, HttpError, UnauthorizedError
from .._model._email import EmailModel
from .._model._persisted import Model
from ._passwords import same_secret

log = logging.getLogger("lbpy")

DEFAULT_TTL = 1209600  # two weeks
DEFAULT_MAX_TTL = 31556926  # one year
DEFAULT_RESET_TTL = 15 * 60
EVENTS = ("resetPasswordRequest", "verificationRequest")
#: the scope of the tokens a password reset issues
RESET_SCOPE = "reset-password"


def setting(model: type[Model], name: str, default: Any = None) -> Any:
    """A model setting, from the model JSON's top level or its ``options`` (LoopBack merged both)."""
    settings = model.spec.settings
    if name in settings:
        return settings[name]
    return model.spec.options.get(name, default)


def login_failed() -> UnauthorizedError:
    # the same answer whichever part was wrong, as LoopBack answered
    return UnauthorizedError("login failed", code="LOGIN_FAILED")


class UserModel(Model):
    """LoopBack's User: credentials, tokens, password changes and e-mail verification."""

    __slots__ = ()

    @classmethod
    def _auth(cls) -> Any:
        auth = cls._runtime.auth
        if auth is None:
            raise HttpError(f"{cls.spec.name} belongs to no app", code="NO_APP")
        return auth

    @classmethod
    def _prepare(cls, data: Any, mode: str) -> tuple[dict[str, Any], dict[str, list[tuple[str, str]]]]:
        if (
            isinstance(data, dict)
            and isinstance(data.get("email"), str)
            and not setting(cls, "caseSensitiveEmail", True)
        ):
            data = {**data, "email": data["email"].lower()}
        return super()._prepare(data, mode)

    @classmethod
    def on(cls, event: str, fn: Callable[..., Any] | None = None) -> Callable[..., Any]:
        """Call ``fn(info)`` on ``event``: ``"resetPasswordRequest"`` (info: ``email``,
        ``accessToken``, ``user``, ``options``, as LoopBack's event) or ``"verificationRequest"``
        (info: what LoopBack gave its mailer: ``to``, ``from``, ``subject``, ``text``,
        ``verifyHref``, ``verificationToken``, ``user``). Usable as a decorator."""
        if event not in EVENTS:
            raise ValueError(f'unknown event "{event}"; use one of: {", ".join(EVENTS)}')

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            cls._runtime.auth_events.setdefault(event, []).append(func)
            return func

        return register(fn) if fn is not None else register

    @classmethod
    def _listeners(cls, event: str) -> list[Callable[..., Any]]:
        return list(cls._runtime.auth_events.get(event, ()))

    @classmethod
    async def _emit(cls, event: str, info: dict[str, Any]) -> None:
        for fn in cls._listeners(event):
            result = fn(info)
            if inspect.isawaitable(result):
                await result

    # -- credentials ---------------------------------------------------------------------------

    @classmethod
    def credentials_query(cls, credentials: dict[str, Any]) -> dict[str, Any]:
        """The where that finds the user ``credentials`` name (LoopBack's normalizeCredentials);
        a 400 says what is missing."""
        realm_required = bool(setting(cls, "realmRequired") or setting(cls, "realmDelimiter"))
        delimiter = setting(cls, "realmDelimiter")
        query: dict[str, Any] = {}
        for key in ("email", "username"):
            value = credentials.get(key)
            if value:
                if realm_required and delimiter and isinstance(value, str) and delimiter in value:
                    realm, value = value.split(delimiter, 1)
                    query["realm"] = realm
                query[key] = value
                break
        if realm_required:
            query.setdefault("realm", credentials.get("realm"))
            if not query["realm"]:
                raise BadRequestError("realm is required", code="REALM_REQUIRED")
            if not isinstance(query["realm"], str):
                raise BadRequestError("Invalid realm", code="INVALID_REALM")
        if "email" not in query and "username" not in query:
            raise BadRequestError("username or email is required", code="USERNAME_EMAIL_REQUIRED")
        if "username" in query and not isinstance(query["username"], str):
            raise BadRequestError("Invalid username", code="INVALID_USERNAME")
        if "email" in query and not isinstance(query["email"], str):
            raise BadRequestError("Invalid email", code="INVALID_EMAIL")
        if "email" in query and not setting(cls, "caseSensitiveEmail", True):
            query["email"] = query["email"].lower()
        return query

    @classmethod
    async def login(
        cls, credentials: dict[str, Any], include: Any = None, options: dict[str, Any] | None = None
    ) -> Model:
        """Check ``{"email" or "username", "password"}`` and return a new access token
        (with ``include="user"``, its ``user``); a wrong or unknown account is a 401
        ``LOGIN_FAILED`` either way."""
        if not isinstance(credentials, dict):
            raise BadRequestError("credentials must be an object", code="INVALID_CREDENTIALS")
        query = cls.credentials_query(credentials)
        user = await cls.find_one({"where": query})
        ok, rehash = await cls._check_password(user, credentials.get("password"))
        if not ok or user is None:
            raise login_failed()
        if setting(cls, "emailVerificationRequired") and not user.get("emailVerified"):
            raise UnauthorizedError(
                "login failed as the email has not been verified",
                code="LOGIN_FAILED_EMAIL_NOT_VERIFIED",
                details={"userId": user.id},
            )
        if rehash:
            await user._store_password_hash(credentials["password"])
        token = await user.create_access_token(credentials.get("ttl"), options)
        names = include if isinstance(include, list) else [include] if include else []
        if any(isinstance(name, str) and name.lower() == "user" for name in names):
            token.__data__["user"] = user
        return token

    @classmethod
    async def _check_password(cls, user: Model | None, plain: Any) -> tuple[bool, bool]:
        passwords = cls._auth().passwords
        stored = user.get("password") if user is not None else None
        return await anyio.to_thread.run_sync(passwords.verify, plain, stored)

    async def has_password(self, plain: Any) -> bool:
        ok, _ = await type(self)._check_password(self, plain)
        return ok

    async def _store_password_hash(self, plain: str) -> None:
        """A LoopBack bcrypt hash (or an Argon2 hash with old costs) replaced by a new one,
        written as it is: no hooks, no token invalidation (the password did not change)."""
        cls = type(self)
        hashed = await anyio.to_thread.run_sync(cls._auth().passwords.hash, plain)
        ds = cls._require_datasource()
        await ds.call("update_attributes", cls.spec.name, self.id, {"password": hashed}, {})
        self.__data__["password"] = hashed

    @classmethod
    def token_model(cls) -> type[Model]:
        relation = cls._runtime.relations.get("accessTokens")
        if relation is None or relation.target is None:
            raise HttpError(f"{cls.spec.name} has no accessTokens relation to a token model", code="NO_TOKEN_MODEL")
        target: type[Model] = relation.target
        return target

    async def create_access_token(
        self, ttl: Any = None, options: dict[str, Any] | None = None, *, scopes: list[str] | None = None
    ) -> Model:
        """A new access token for this user, living ``ttl`` seconds (the model's ``ttl`` setting,
        two weeks by default, at most ``maxTTL``; -1 lives forever where ``allowEternalTokens``)."""
        cls = type(self)
        seconds = cls._token_ttl(ttl)
        data: dict[str, Any] = {"ttl": seconds, "userId": self.id}
        if scopes is not None:
            data["scopes"] = list(scopes)
        token: Model = await cls.token_model().create(data, options)
        return token

    @classmethod
    def _token_ttl(cls, ttl: Any) -> int | float:
        if isinstance(ttl, str) and ttl.strip():
            try:
                ttl = float(ttl)
            except ValueError:
                raise BadRequestError("ttl must be a number of seconds", code="INVALID_TTL") from None
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float))):
            raise BadRequestError("ttl must be a number of seconds", code="INVALID_TTL")
        if not ttl:
            ttl = setting(cls, "ttl") or DEFAULT_TTL
        if ttl < 0 and ttl != -1:
            raise BadRequestError(
                "ttl must be a positive number of seconds, or -1 for a token that does not expire", code="INVALID_TTL"
            )
        ttl = min(ttl, setting(cls, "maxTTL") or DEFAULT_MAX_TTL)
        return int(ttl) if float(ttl).is_integer() else ttl

    @classmethod
    async def logout(cls, token_id: Any, options: dict[str, Any] | None = None) -> None:
        """Delete the access token ``token_id``; a 401 when there is none."""
        if not token_id or not isinstance(token_id, str):
            raise UnauthorizedError("accessToken is required to logout")
        token_model = cls.token_model()
        info = await token_model.destroy_by_id(token_id, options)
        cls._auth().forget_tokens()
        if info.get("count") == 0:
            raise UnauthorizedError("Could not find accessToken")

    # -- passwords -----------------------------------------------------------------------------

    @classmethod
    def validate_password(cls, plain: Any) -> None:
        if not isinstance(plain, str) or not plain:
            raise HttpError("Invalid password.", status_code=422, code="INVALID_PASSWORD")

    @classmethod
    async def _user(cls, user_id: Any, options: dict[str, Any] | None) -> Model:
        try:
            user = await cls.find_by_id(user_id, None, options) if user_id is not None else None
        except HttpError:
            user = None
        if user is None:
            raise UnauthorizedError(f"User {user_id} not found", code="USER_NOT_FOUND")
        return user

    @classmethod
    async def change_password(
        cls, user_id: Any, old_password: Any, new_password: Any, options: dict[str, Any] | None = None
    ) -> None:
        """Set a new password after checking the current one (a 400 ``INVALID_PASSWORD`` when
        it is wrong); the user's other tokens stop working."""
        user = await cls._user(user_id, options)
        if not await user.has_password(old_password):
            raise BadRequestError("Invalid current password", code="INVALID_PASSWORD")
        await cls._set_password(user, new_password, options)

    @classmethod
    async def set_password(cls, user_id: Any, new_password: Any, options: dict[str, Any] | None = None) -> None:
        """Set a new password (a password-reset token's call); the user's other tokens stop working."""
        user = await cls._user(user_id, options)
        await cls._set_password(user, new_password, options)

    @classmethod
    async def _set_password(cls, user: Model, new_password: Any, options: dict[str, Any] | None) -> None:
        cls.validate_password(new_password)
        await user.update_attributes({"password": new_password}, {**(options or {}), "setPassword": True})

    @classmethod
    async def reset_password(cls, options: dict[str, Any]) -> None:
        """Issue a short-lived token for the user with ``options["email"]`` and tell the
        ``resetPasswordRequest`` listeners. Nothing happens for an unknown e-mail (and nothing
        says so)."""
        if not isinstance(options, dict) or not isinstance(options.get("email"), str):
            raise BadRequestError("Email is required", code="EMAIL_REQUIRED")
        if options.get("password"):
            cls.validate_password(options["password"])
        where: dict[str, Any] = {"email": options["email"]}
        if options.get("realm"):
            where["realm"] = options["realm"]
        user = await cls.find_one({"where": where})
        if user is None:
            return
        if setting(cls, "emailVerificationRequired") and not user.get("emailVerified"):
            return
        ttl = setting(cls, "resetPasswordTokenTTL") or DEFAULT_RESET_TTL
        # marked as a reset token, so that setting the password spends it; without
        # restrictResetPasswordTokenScope it also acts as the user, as LoopBack's did
        scopes = [RESET_SCOPE] if setting(cls, "restrictResetPasswordTokenScope") else ["DEFAULT", RESET_SCOPE]
        token = await user.create_access_token(ttl, None, scopes=scopes)
        await cls._emit(
            "resetPasswordRequest", {"email": options["email"], "accessToken": token, "user": user, "options": options}
        )

    # -- e-mail verification -------------------------------------------------------------------

    async def verify(
        self, verify_options: dict[str, Any] | None = None, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Give this user a new verification token and send the e-mail: through the
        ``verificationRequest`` listeners when the app registered some, else through the app's
        Email model on its mail datasource (``verifyOptions.mailer`` names another); a 501 when
        there is neither."""
        cls = type(self)
        settings = setting(cls, "verifyOptions") or {}
        info = {
            "type": "email",
            "from": "noreply@example.com",
            "redirect": "/",
            **(settings if isinstance(settings, dict) else {}),
            **(verify_options or {}),
        }
        listeners = cls._listeners("verificationRequest")
        mailer = None if listeners else _mailer(cls, info.get("mailer"))
        if not listeners and mailer is None:
            raise HttpError(
                "e-mail verification needs a sender: attach the Email model to a mail datasource in "
                f'server/model-config.json, or register {cls.spec.name}.on("verificationRequest", fn) '
                "in the model's customize()",
                status_code=501,
                code="VERIFICATION_NOT_CONFIGURED",
            )
        token = secrets.token_hex(64)
        # the server sets the token, not the client whose REST call this may be
        await self.update_attributes(
            {"verificationToken": token}, {k: v for k, v in (options or {}).items() if k != "_auth"}
        )
        auth = cls._auth()
        query = urlencode({"uid": str(self.id), "redirect": info["redirect"], "token": token})
        info.setdefault("verifyHref", f"{_base_url(auth, info)}/{cls.spec.plural}/confirm?{query}")
        info.setdefault("to", self.get("email"))
        info.setdefault("subject", "Thanks for Registering")
        info.setdefault(
            "text", f"Please verify your email by opening this link in a web browser:\n\t{info['verifyHref']}"
        )
        info.update(verificationToken=token, user=self)
        if mailer is None:
            await cls._emit("verificationRequest", info)
        else:
            info.setdefault("html", _verification_html(info))
            await mailer.send(
                {k: info[k] for k in ("to", "from", "subject", "text", "html") if info.get(k) is not None}
            )
        return {"email": info["to"], "token": token, "uid": self.id}

    @classmethod
    async def confirm(cls, uid: Any, token: Any, redirect: Any = None) -> None:
        """Mark the user's e-mail verified when ``token`` is its verification token."""
        try:
            user = await cls.find_by_id(uid)
        except HttpError:
            user = None
        if user is None:
            raise HttpError(f"User not found: {uid}", status_code=404, code="USER_NOT_FOUND")
        if not same_secret(token, user.get("verificationToken")):
            raise BadRequestError(f"Invalid token: {token}", code="INVALID_TOKEN")
        await user.update_attributes({"verificationToken": None, "emailVerified": True})


class AccessTokenModel(Model):
    """LoopBack's AccessToken: a random id, a time to live, the user it stands for."""

    __slots__ = ()

    def expired(self, now: datetime | None = None, *, eternal_allowed: bool = False) -> bool:
        ttl = self.get("ttl")
        created = self.get("created")
        if not isinstance(created, datetime) or isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
            return True
        if ttl == -1:
            return not eternal_allowed
        if ttl <= 0:
            return True
        now = now or datetime.now(timezone.utc)
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        return (now - created).total_seconds() >= ttl


class RoleModel(Model):
    """LoopBack's Role: static roles mapped to principals, and the dynamic roles' resolvers."""

    __slots__ = ()

    @classmethod
    def register_resolver(cls, name: str, fn: Callable[..., Any]) -> None:
        """Decide role ``name`` with ``fn(role, ctx)`` (sync or async, returns a bool), as
        LoopBack's ``Role.registerResolver``; ``ctx`` is an ``AccessContext``."""
        if not isinstance(name, str) or not name:
            raise ValueError("a role resolver needs the role's name")
        if not callable(fn):
            raise TypeError("a role resolver must be a function taking (role, ctx)")
        auth = cls._runtime.auth
        if auth is None:
            raise ValueError(f"{cls.spec.name} belongs to no app")
        auth.resolvers[name] = fn


class RoleMappingModel(Model):
    """LoopBack's RoleMapping: principal (USER, APP or ROLE, and its id) to role."""

    __slots__ = ()
    USER, APP, ROLE = "USER", "APP", "ROLE"


class AclModel(Model):
    """LoopBack's ACL: access rules stored in the database, beside the models' own."""

    __slots__ = ()


#: the classes the model builder makes the built-in models from
BUILTIN_CLASSES: dict[str, type[Model]] = {
    "User": UserModel,
    "AccessToken": AccessTokenModel,
    "Role": RoleModel,
    "RoleMapping": RoleMappingModel,
    "ACL": AclModel,
}


def _mailer(user_model: type[Model], named: Any) -> type[EmailModel] | None:
    """The Email model a verification goes through: ``mailer`` (a model or its name), else the
    app's Email model, or another derived from it, when it is attached to a datasource."""
    if isinstance(named, type) and issubclass(named, EmailModel):
        return named
    registry = user_model._runtime.registry
    if registry is None:
        return None
    candidates = [registry.get(named)] if isinstance(named, str) else [registry.get("Email"), *registry.values()]
    for model in candidates:
        if isinstance(model, type) and issubclass(model, EmailModel) and model.datasource is not None:
            return model
    return None


def _base_url(auth: Any, info: dict[str, Any]) -> str:
    """Where the link points: LoopBack's ``protocol``, ``host``, ``port`` and ``restApiRoot``
    options where given, else the app's own address."""
    if not any(info.get(k) for k in ("host", "port", "protocol", "restApiRoot")):
        return str(auth.base_url())
    default = urlsplit(str(auth.base_url()))
    protocol = info.get("protocol") or default.scheme
    host = info.get("host") or default.hostname
    port = info.get("port") or default.port
    root = info.get("restApiRoot") or default.path or ""
    shown_port = "" if (protocol, int(port or 0)) in (("http", 80), ("https", 443)) or not port else f":{port}"
    return f"{protocol}://{host}{shown_port}{root}"


def _verification_html(info: dict[str, Any]) -> str:
    """The message's HTML part: the app's ``template`` (a Jinja2 file, given the verify options),
    or lbpy's own few lines."""
    template = info.get("template")
    if template:
        import jinja2

        path = Path(str(template))
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(path.parent)), autoescape=True, undefined=jinja2.StrictUndefined
        )
        try:
            return environment.get_template(path.name).render(**{k: v for k, v in info.items() if k != "user"})
        except (OSError, jinja2.TemplateError) as exc:
            raise HttpError(f"the verification template {path.name} failed: {exc}", status_code=500) from None
    link = html.escape(str(info["verifyHref"]), quote=True)
    return (
        "<h1>Welcome</h1>\n<p>Please verify your e-mail address to complete your registration.</p>\n"
        f'<p><a href="{link}">{link}</a></p>\n'
    )


def email_is_valid(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(
        at
        and local
        and domain
        and "." not in (domain[0], domain[-1])
        and " " not in value
        and len(value) <= 254
        and "@" not in local.strip('"')
    )


def email_validator(values: dict[str, Any], errors: dict[str, Any], mode: str) -> None:
    """LoopBack's e-mail check on User (code ``custom.email``, "is invalid")."""
    value = values.get("email")
    if value is None or value == "" or "email" in errors:
        return
    if not isinstance(value, str) or not email_is_valid(value):
        errors.setdefault("email", []).append(("custom.email", "is invalid"))
