"""An app's access control: its tokens, roles and ACLs, checked for every REST call.

``AccessControl`` is made once per app. When the models are built it gives the built-in models
their behaviour (``setup``); for each REST call it reads the caller's token, and decides whether
the method may run as LoopBack 3 decided (``lbpy._auth._acl``). What LoopBack looked up for every
request (the token, the ACL records, the caller's static roles) is kept ``cacheSeconds`` (one by
default): a logout or a change to a role, a role mapping or an ACL record in this process is seen
at once, one in another process within that bound.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final, Generic, Literal, TypeVar

from starlette.types import Scope

from .._errors import BootError, ForbiddenError, HttpError, NotFoundError, UnauthorizedError
from .._model._definition import ModelSpec
from .._model._persisted import Model
from .._model._registry import ModelRegistry
from .._model._remote_definition import RemoteMethod
from ._acl import (
    ALL,
    ALLOW,
    AUTHENTICATED,
    DEFAULT,
    DENY,
    EVERYONE,
    OWNER,
    READ,
    REPLICATE,
    ROLE,
    UNAUTHENTICATED,
    USER,
    WRITE,
    AclError,
    Request,
    Rule,
    is_allowed,
    ranked,
    settle,
)
from ._context import AccessContext, Principal, token_principals
from ._methods import access_type as access_type_of
from ._methods import method_names as method_names_of
from ._models import RESET_SCOPE, AccessTokenModel, AclModel, RoleMappingModel, RoleModel, UserModel, setting
from ._passwords import Passwords
from ._settings import AuthSettings
from ._throttle import LoginThrottle
from ._tokens import decoded, token_candidates
from ._user_setup import set_up_token_model, set_up_user_model

log = logging.getLogger("lbpy")

_CACHE_LIMIT = 10_000


@dataclass
class MethodAccess:
    """What is known at boot about access to one method of one model."""

    request: Request
    static: list[tuple[int, Rule]]
    scopes: tuple[str, ...]


class _Miss(enum.Enum):
    """What a cache answers for a key it does not hold (None may be a cached value)."""

    MISS = "miss"


_MISS: Final = _Miss.MISS
_V = TypeVar("_V")


class _Cache(Generic[_V]):
    """Values kept for ``seconds`` (and at most a bounded number of them)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.items: dict[Any, tuple[float, _V]] = {}

    def get(self, key: Any) -> _V | Literal[_Miss.MISS]:
        hit = self.items.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return _MISS

    def put(self, key: Any, value: _V) -> None:
        if self.seconds <= 0:
            return
        if len(self.items) >= _CACHE_LIMIT:
            self.items.clear()
        self.items[key] = (time.monotonic() + self.seconds, value)

    def clear(self, event: Any = None) -> None:
        self.items.clear()


@dataclass(frozen=True)
class _KnownToken:
    """A token as looked up: the record, the principals it stands for, and when it expires."""

    token: Model
    principals: list[Principal]
    expires_at: float  # epoch seconds; -inf for one that is not valid at all


class CallAccess:
    """One REST call's caller: its token and principals, and what was found out about them."""

    def __init__(
        self,
        control: AccessControl,
        token: Model | None,
        client: str | None,
        principals: list[Principal] | None = None,
        *,
        secure: bool = False,
    ) -> None:
        self.control = control
        self.token = token
        self.client = client
        #: whether the request came over HTTPS (the server's scheme, which uvicorn takes from
        #: X-Forwarded-Proto when the proxy is one it trusts): a cookie set is then Secure
        self.secure = secure
        self.principals = token_principals(token) if principals is None else principals
        self.roles: dict[Any, bool] = {}
        #: whether a decision depended on the record or on an app's resolver (then it is not kept)
        self.volatile = False
        self.static_roles: set[str] | None = None
        #: response headers and status a method sets (a login's cookie, confirm's redirect)
        self.response_headers: list[tuple[bytes, bytes]] = []
        self.status: int | None = None

    async def still_allowed(self, model: type[Model], method: RemoteMethod, model_id: Any = None) -> bool:
        """Whether a call that goes on (a change stream) may still do so: its token is still
        valid and the decision is still an allow. The roles this call found out are found out
        again, through the caches a request uses (which a logout or a role change empties)."""
        try:
            if self.token is not None and await self.control._known_token(self.token.id) is None:
                return False
            self.roles.clear()
            self.static_roles = None
            self.volatile = False
            await self.control.authorize(model, method, self, model_id)
        except HttpError:
            return False
        return True

    async def check(self, model: type[Model], method: RemoteMethod | str, model_id: Any = None) -> None:
        """A relation route, a nested route or an ``include`` reaching ``model``'s records: the
        caller must be allowed ``method`` (a remote method, or a built-in one's name) on the
        record ``model_id``, as if it had asked directly. Embedded models (no datasource) are
        part of their owner's record."""
        if model.datasource is None:
            return
        if isinstance(method, str):
            method = self.control.builtin_method(model, method)
        await self.control.authorize(model, method, self, model_id)


class AccessControl:
    def __init__(self, settings: AuthSettings, *, enforced: bool, base_url: str = "http://localhost:3000/api") -> None:
        self.settings = settings
        self.enforced = enforced
        self._base_url = base_url
        self.passwords = Passwords(settings.hashing)
        self.resolvers: dict[str, Callable[..., Any]] = {}
        self.throttle = LoginThrottle(settings.throttle) if settings.throttle.enabled else None
        self.registry: ModelRegistry | None = None
        self._methods: dict[tuple[str, str], MethodAccess] = {}
        self._rules: dict[str, list[Rule]] = {}
        self._builtin_methods: dict[tuple[str, str], RemoteMethod] = {}
        self._tokens: _Cache[_KnownToken | None] = _Cache(settings.cache_seconds)
        self._acl_rows: _Cache[list[Rule]] = _Cache(settings.cache_seconds)
        self._acl_ranked: _Cache[list[tuple[int, Rule]]] = _Cache(settings.cache_seconds)
        self._roles: _Cache[frozenset[str]] = _Cache(settings.cache_seconds)
        self._decisions: _Cache[str] = _Cache(settings.cache_seconds)
        self._attached: dict[type, type[Model] | None] = {}
        #: the models of the access control's own records (Role, RoleMapping, ACL and models
        #: derived from them), and whether reading them is left to the app (Role's names)
        self._guarded: dict[str, bool] = {}
        self._eternal = False
        self.background: set[asyncio.Task[Any]] = set()
        self.token_model: type[Model] | None = None
        self.user_models: list[type[UserModel]] = []

    def base_url(self) -> str:
        return self._base_url

    @property
    def redirect_origins(self) -> tuple[str, ...]:
        return self.settings.redirect_origins

    # -- boot -------------------------------------------------------------------------------

    def setup(self, registry: ModelRegistry) -> None:
        """Give the built-in models (and those derived from them) their behaviour, and every
        model its rules; called by the model builder before the app's customisations."""
        self.registry = registry
        for model in registry.values():
            model._runtime.auth = self
            self._rules[model.spec.name] = _static_rules(model.spec)
            if issubclass(model, UserModel):
                set_up_user_model(model, self)
                if model.datasource is not None:
                    self.user_models.append(model)
            elif issubclass(model, AccessTokenModel):
                set_up_token_model(model)
            elif issubclass(model, RoleModel):
                model.validates_uniqueness_of("name", message="already exists")
        for user_model in self.user_models:
            relation = user_model._runtime.relations.get("accessTokens")
            if relation is not None and relation.target is not None and self.token_model is None:
                self.token_model = relation.target
        if self.token_model is None:
            self.token_model = next(
                (m for m in registry.values() if issubclass(m, AccessTokenModel) and m.datasource is not None), None
            )
        if self.token_model is not None:
            self.token_model.on_change(self._token_changed)
        for model in registry.values():
            if issubclass(model, (RoleModel, RoleMappingModel)):
                model.on_change(self.forget_roles)
            elif issubclass(model, AclModel):
                model.on_change(self._acl_changed)
        for kind in (AclModel, RoleModel, RoleMappingModel):
            self._attached[kind] = next(
                (m for m in registry.values() if issubclass(m, kind) and m.datasource is not None), None
            )
        self._guarded = {
            model.spec.name: issubclass(model, RoleModel)
            for model in registry.values()
            if issubclass(model, (AclModel, RoleModel, RoleMappingModel))
        }
        self._eternal = self._eternal_tokens_allowed()

    def _acl_changed(self, event: Any = None) -> None:
        self._acl_rows.clear()
        self._acl_ranked.clear()
        self._decisions.clear()

    def _token_changed(self, event: dict[str, Any]) -> None:
        if event.get("type") != "create":
            self.forget_tokens()

    def forget_tokens(self) -> None:
        self._tokens.clear()
        self._decisions.clear()

    def forget_roles(self, event: Any = None) -> None:
        self._roles.clear()
        self._decisions.clear()

    def _model(self, kind: type[Model]) -> type[Model] | None:
        """The app's model of a built-in kind (ACL, Role, RoleMapping) on a datasource, or None."""
        return self._attached.get(kind)

    # -- tokens -----------------------------------------------------------------------------

    async def call_access(self, scope: Scope) -> CallAccess:
        """The caller of a REST call: its token (a 401 ``INVALID_TOKEN`` for an expired one)."""
        known = None
        candidates = token_candidates(scope, self.settings.cookie_secret)
        for candidate in candidates:
            known = await self._known_token(candidate)
            if known is not None:
                break
        if known is None and candidates:
            legacy = decoded(candidates[0])
            if legacy is not None:
                known = await self._known_token(legacy)
        client = scope.get("client")
        secure = scope.get("scheme") in ("https", "wss")
        if known is None:
            return CallAccess(self, None, client[0] if client else None, [], secure=secure)
        return CallAccess(self, known.token, client[0] if client else None, known.principals, secure=secure)

    async def find_token(self, token_id: str) -> Model | None:
        """The valid access token ``token_id``, or None; a 401 ``INVALID_TOKEN`` (and the token
        deleted) when it has expired, as LoopBack answered."""
        known = await self._known_token(token_id)
        return known.token if known is not None else None

    async def _known_token(self, token_id: str) -> _KnownToken | None:
        token_model = self.token_model
        if token_model is None or not token_id or len(token_id) > 512:
            return None
        known = self._tokens.get(token_id)
        if known is _MISS:
            try:
                token = await token_model.find_by_id(token_id)
            except HttpError:
                token = None
            known = None if token is None else _KnownToken(token, token_principals(token), self._expiry(token))
            self._tokens.put(token_id, known)
        if known is None:
            return None
        if time.time() >= known.expires_at:
            await token_model.destroy_by_id(known.token.id)
            self.forget_tokens()
            raise UnauthorizedError("Invalid Access Token", code="INVALID_TOKEN")
        return known

    def _expiry(self, token: Model) -> float:
        if not isinstance(token, AccessTokenModel) or token.expired(eternal_allowed=self._eternal):
            return float("-inf")
        ttl: float = token.get("ttl")
        if ttl == -1:
            return float("inf")
        created: datetime = token.get("created")
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        return created.timestamp() + ttl

    def _eternal_tokens_allowed(self) -> bool:
        models = list(self.user_models)
        relation = self.token_model._runtime.relations.get("user") if self.token_model else None
        if relation is not None and relation.target is not None:
            models.append(relation.target)
        return any(setting(model, "allowEternalTokens") for model in models)

    # -- access -----------------------------------------------------------------------------

    def builtin_method(self, model: type[Model], name: str) -> RemoteMethod:
        """The built-in method ``name`` (find, findById, create, ...) as ACLs see it."""
        key = (model.spec.name, name)
        method = self._builtin_methods.get(key)
        if method is None:
            method = RemoteMethod(name=name, fn=_never, builtin=True)
            method.access_type = access_type_of(method)
            self._builtin_methods[key] = method
        return method

    def method_access(self, model: type[Model], method: RemoteMethod) -> MethodAccess:
        key = (model.spec.name, method.full_name)
        found = self._methods.get(key)
        if found is None:
            names = method_names_of(method)
            request = Request(model.spec.name, method.name, access_type_of(method), names)
            rules = [_for_property(rule, names) for rule in self._rules.get(model.spec.name, ())]
            scopes = method.access_scopes or ["DEFAULT"]
            if (
                method.name == "setPassword"
                and issubclass(model, UserModel)
                and setting(model, "restrictResetPasswordTokenScope")
            ):
                scopes = [RESET_SCOPE]  # only a reset token may set a password, and only that
            found = self._methods[key] = MethodAccess(
                request, ranked([r for r in rules if r is not None], request), tuple(scopes)
            )
        return found

    async def authorize(self, model: type[Model], method: RemoteMethod, access: CallAccess, model_id: Any) -> None:
        """Raise LoopBack's 401 (or the app's ``aclErrorStatus``) unless the caller may call ``method``.
        A decision that depended only on the caller's token, roles and the rules is kept
        ``cacheSeconds``; one that read the record (``$owner``) or asked an app's resolver is not."""
        key = (access.token.id if access.token is not None else None, model.spec.name, method.full_name)
        permission = self._decisions.get(key)
        if permission is _MISS:
            permission = await self.permission(model, method, access, model_id)
            if not access.volatile:
                self._decisions.put(key, permission)
        if is_allowed(permission):
            return
        status = 401
        if access.token is not None:
            status = setting(model, "aclErrorStatus") or self.settings.acl_error_status
        if status == 403:
            raise ForbiddenError("Access Denied", code="ACCESS_DENIED")
        if status == 404:
            raise NotFoundError(f"could not find {model.spec.name} with id {model_id}", code="MODEL_NOT_FOUND")
        raise UnauthorizedError("Authorization Required", code="AUTHORIZATION_REQUIRED")

    async def permission(
        self,
        model: type[Model],
        method: RemoteMethod,
        access: CallAccess,
        model_id: Any,
        *,
        options: dict[str, Any] | None = None,
    ) -> str:
        known = self.method_access(model, method)
        token = access.token
        if token is not None:
            granted = token.get("scopes") or ["DEFAULT"]
            if not isinstance(granted, list) or not any(scope in granted for scope in known.scopes):
                return DENY
        candidates = known.static
        dynamic = await self._dynamic_rules(model, method, known.request) if self._model(AclModel) else None
        if dynamic:
            candidates = sorted(dynamic + candidates, key=lambda item: -item[0])
        ctx = AccessContext(
            model,
            known.request.property,
            known.request.access_type,
            model_id,
            token,
            known.request.method_names,
            access.principals,
            options,
        )
        for _, rule in candidates:
            if await self._applies(rule, ctx, access):
                return settle(rule.permission)
        if self._guards(model, known.request):
            admin = self.settings.admin_role
            return ALLOW if admin is not None and await self.is_in_role(admin, ctx, access) else DENY
        return settle(DEFAULT, setting(model, "defaultPermission"), self.settings.default_permission)

    def _guards(self, model: type[Model], request: Request) -> bool:
        """Whether, no acl having decided, ``request`` is the admin role's only: any write of
        Role, RoleMapping and ACL records, and any read of the last two (LoopBack 3 left them open
        to everyone, so anyone could map themselves to an admin role). A model's own
        ``defaultPermission`` still decides."""
        readable = self._guarded.get(model.spec.name)
        if readable is None or setting(model, "defaultPermission") in (ALLOW, DENY):
            return False
        return not (readable and request.access_type == READ)

    async def _applies(self, rule: Rule, ctx: AccessContext, access: CallAccess) -> bool:
        for principal in ctx.principals:
            if principal.type == rule.principal_type and str(principal.id) == rule.principal_id:
                return True
        if rule.principal_type != ROLE:
            return False
        return await self.is_in_role(rule.principal_id, ctx, access)

    async def is_in_role(self, role: str, ctx: AccessContext, access: CallAccess | None = None) -> bool:
        custom = self.resolvers.get(role)
        if custom is not None:
            if access is not None:
                access.volatile = True
            result = custom(role, ctx)
            if inspect.isawaitable(result):
                result = await result
            return bool(result)
        if role == EVERYONE:
            return True
        if role == AUTHENTICATED:
            return ctx.is_authenticated()
        if role == UNAUTHENTICATED:
            return not ctx.is_authenticated()
        if role == OWNER:
            if access is not None:
                access.volatile = True
            key = (ctx.model_name, str(ctx.model_id))
            if access is not None and key in access.roles:
                return access.roles[key]
            found = await self.is_owner(ctx)
            if access is not None:
                access.roles[key] = found
            return found
        if not ctx.principals:
            return False
        if any(p.type == ROLE and str(p.id) == role for p in ctx.principals):
            return True
        names = access.static_roles if access is not None else None
        if names is None:
            names = set()
            for principal in ctx.principals:
                names |= await self._static_roles(principal)
            if access is not None:
                access.static_roles = names
        return role in names

    async def _static_roles(self, principal: Principal) -> frozenset[str]:
        key = principal.key()
        cached = self._roles.get(key)
        if cached is not _MISS:
            return cached
        mapping_model = self._model(RoleMappingModel)
        role_model = self._model(RoleModel)
        names: frozenset[str] = frozenset()
        if mapping_model is not None and role_model is not None:
            mappings = await mapping_model.find(
                {"where": {"principalType": principal.type, "principalId": str(principal.id)}}
            )
            role_ids = [m.get("roleId") for m in mappings if m.get("roleId") is not None]
            if role_ids:
                id_name = role_model.spec.id_name or "id"
                roles = await role_model.find({"where": {id_name: {"inq": role_ids}}})
                names = frozenset(str(r.get("name")) for r in roles if r.get("name"))
        self._roles.put(key, names)
        return names

    async def is_owner(self, ctx: AccessContext) -> bool:
        """LoopBack's ``$owner``: the caller is the user record itself, or the record's
        ``userId``/``owner`` property, or its belongsTo relation to a User model, names the caller."""
        model, model_id = ctx.model, ctx.model_id
        user = ctx.get_user()
        if model is None or not model_id or user is None or not user.id or user.type != USER:
            return False
        if issubclass(model, UserModel):
            return _same(model_id, user.id)
        try:
            record = await model.find_by_id(model_id, None, {"accessToken": ctx.access_token})
        except HttpError:
            return False
        if record is None:
            return False
        user_relations = [
            r
            for r in model._runtime.relations.values()
            if r.type == "belongsTo" and r.target is not None and issubclass(r.target, UserModel)
        ]
        chosen = setting(model, "ownerRelations")
        if not chosen:
            owner = record.get("userId") or record.get("owner")
            if owner:
                return _same(owner, user.id)
            user_relations = user_relations[:1]
        elif isinstance(chosen, list):
            user_relations = [r for r in user_relations if r.name in chosen]
        for relation in user_relations:
            value = record.get(relation.key_from)
            if value is None:
                continue
            if relation.key_to == (relation.target.spec.id_name or "id"):
                if _same(value, user.id):
                    return True
                continue
            related = await relation.target.find_one({"where": {relation.key_to: value}})
            if related is not None and _same(related.id, user.id):
                return True
        return False

    async def _dynamic_rules(
        self, model: type[Model], method: RemoteMethod, request: Request
    ) -> list[tuple[int, Rule]]:
        key = (model.spec.name, method.full_name)
        found = self._acl_ranked.get(key)
        if found is not _MISS:
            return found
        acl_model = self._model(AclModel)
        assert acl_model is not None  # asked only when the app has an ACL model
        rules = self._acl_rows.get(model.spec.name)
        if rules is _MISS:
            rows = await acl_model.find({"where": {"model": {"inq": [model.spec.name, ALL]}}})
            rules = []
            for row in rows:
                try:
                    rules.append(Rule.from_json(row.to_dict(), model.spec.name))
                except AclError as exc:
                    log.warning("ACL record %s is ignored: %s", row.id, exc)
            self._acl_rows.put(model.spec.name, rules)
        types = {request.access_type, ALL} if request.access_type != REPLICATE else {REPLICATE, WRITE, ALL}
        names = request.method_names | {ALL}
        found = ranked([r for r in rules if r.property in names and r.access_type in types], request)
        self._acl_ranked.put(key, found)
        return found

    def anonymous_allowed(self, model: type[Model], method: RemoteMethod) -> bool:
        """Whether a caller without a token may call ``method``, as far as the model's own acls
        say (what the API documents tell; ACL records and custom roles may add to it)."""
        for _, rule in self.method_access(model, method).static:
            if (
                rule.principal_type == ROLE
                and rule.principal_id in (EVERYONE, UNAUTHENTICATED)
                and rule.principal_id not in self.resolvers
            ):
                return is_allowed(rule.permission)
        if self._guards(model, self.method_access(model, method).request):
            return False
        return is_allowed(settle(DEFAULT, setting(model, "defaultPermission"), self.settings.default_permission))

    # -- the Python API ---------------------------------------------------------------------

    async def check_access(self, model: type[Model], ctx: Any) -> bool:
        kind: str | None
        if isinstance(ctx, AccessContext):
            token, model_id, prop, kind = ctx.access_token, ctx.model_id, ctx.property, ctx.access_type
        elif isinstance(ctx, dict):
            token = ctx.get("accessToken")
            model_id = ctx.get("modelId")
            prop = ctx.get("property") or ctx.get("method") or ALL
            kind = ctx.get("accessType")
        else:
            raise TypeError(
                "check_access takes an AccessContext or a dict with accessToken, modelId, property and accessType"
            )
        method = RemoteMethod(name=prop, fn=_never, builtin=True, access_type=kind or None)
        if kind is None:
            method.access_type = access_type_of(RemoteMethod(name=prop, fn=_never, builtin=True))
        access = CallAccess(self, token, None)
        return is_allowed(await self.permission(model, method, access, model_id))

    def run_in_background(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Work a REST call starts but does not wait for (a reset request's e-mail), so that
        its answer takes as long whatever happened."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "a background task of the access control failed: %s: %s",
                type(task.exception()).__name__,
                task.exception(),
            )


async def _never(*args: Any, **kwargs: Any) -> None:  # a method access is checked for, not called
    raise RuntimeError("not callable")


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None or a == "" or b == "":
        return False
    return a == b or str(a) == str(b)


def _static_rules(spec: ModelSpec) -> list[Rule]:
    raw = spec.settings.get("acls") or []
    if not isinstance(raw, list):
        raise BootError(f'{spec.source}: "acls" must be a list of ACL entries')
    rules: list[Rule] = []
    for index, entry in enumerate(raw):
        props = entry.get("property") if isinstance(entry, dict) else None
        try:
            if isinstance(props, list):
                if not all(isinstance(p, str) for p in props):
                    raise AclError("property must be a method name, * or a list of method names")
                rules.extend(Rule.from_json(entry, spec.name, property=p) for p in props)
            else:
                rules.append(Rule.from_json(entry, spec.name))
        except AclError as exc:
            raise BootError(f"{spec.source}: acls[{index}]: {exc}") from None
    return rules


def _for_property(rule: Rule, names: frozenset[str]) -> Rule | None:
    """A model's rule as it applies to a method with ``names`` (its name and aliases), or None."""
    if rule.property == ALL or rule.property in names:
        return rule
    return None
