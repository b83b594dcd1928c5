"""Relation routes: the remote methods LoopBack 3 adds to a model for each of its relations.

Names, arguments, HTTP routes and results are LoopBack's (``prototype.__get__orders`` is
``GET /Customers/{id}/orders``), so the router serves them and the API documents describe them
like any other remote method. In LoopBack's order: per relation the by-id methods (and link,
unlink, exists for through and referencesMany relations), then the list methods of every
relation that has them (get, create, delete, count).

Where LoopBack answered 500 or stored something it should not have, lbpy answers a client error
instead: overriding the owner's foreign key is a 400, a second hasOne record a 409, linking an
id that does not exist a 404, and reading, updating or deleting an empty hasOne or embedsOne a 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..._errors import HttpError, NotFoundError
from .._remote_definition import Accept, Endpoint, RemoteMethod, Returns
from ._accessors import accessor
from ._relation import MANY, Relation, check_access

if TYPE_CHECKING:
    from .._persisted import Model

_OPTIONS = Accept("options", "object", "options")


def relation_methods(model: type[Model]) -> list[RemoteMethod]:
    """The relation routes of ``model``, in LoopBack's order."""
    per_relation: list[RemoteMethod] = []
    lists: list[RemoteMethod] = []
    for relation in model._runtime.relations.values():
        if relation.target is None and relation.type != "belongsTo":
            continue
        if relation.type == "belongsTo":
            per_relation.append(_belongs_to(relation))
        elif relation.type in ("hasOne", "embedsOne"):
            per_relation.extend(_has_one(relation))
        else:
            per_relation.extend(_by_id(relation))
            lists.extend(_list(relation))
    return per_relation + lists


def _method(
    name: str,
    fn: Callable[..., Any],
    verb: str,
    path: str,
    accepts: list[Accept],
    returns: list[Returns],
    description: str,
) -> RemoteMethod:
    return RemoteMethod(
        name=name,
        fn=fn,
        accepts=accepts + [_OPTIONS],
        returns=returns,
        http=[Endpoint(verb, path)],
        description=description,
        is_static=False,
        builtin=True,
    )


def _fk(relation: Relation) -> Accept:
    return Accept("fk", "any", "path", True, f"Foreign key for {relation.name}")


def _belongs_to(relation: Relation) -> RemoteMethod:
    name = relation.name
    target = relation.target.spec.name if relation.target is not None else "PersistedModel"

    async def get(instance: Model, refresh: Any = None, options: dict[str, Any] | None = None) -> Any:
        value = instance.get(relation.key_from)
        if value is None:
            return {}  # LoopBack's answer when there is no foreign key (a dangling one is null)
        related = relation.target_for(instance.to_dict())
        if related is not None:
            by_id = relation.key_to == (related.spec.id_name or "id")
            await check_access(related, "findById", value if by_id else None, options)
        return await accessor(instance, name).get(options)

    return _method(
        f"__get__{name}",
        get,
        "GET",
        f"/:id/{relation.http_path}",
        [Accept("refresh", "boolean", "query")],
        [Returns(name, target, True, optional=True)],
        f"Fetches belongsTo relation {name}.",
    )


def _has_one(relation: Relation) -> list[RemoteMethod]:
    name, path, target = relation.name, f"/:id/{relation.http_path}", relation.target.spec.name

    async def one(instance: Model, method: str, options: dict[str, Any] | None) -> Any:
        """The related record, once the caller may ``method`` it (it is checked before a
        missing one is a 404, so that a 404 tells nothing to a caller who may not)."""
        related = accessor(instance, name)
        found = await related.get(options)
        await check_access(relation.target, method, found.id if found is not None else None, options)
        return related, found

    async def get(instance: Model, refresh: Any = None, options: dict[str, Any] | None = None) -> Any:
        related, found = await one(instance, "findById", options)
        return found if found is not None else await related._require(options)

    async def create(instance: Model, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        await check_access(relation.target, "create", None, options)
        return await accessor(instance, name).create(data, options)

    async def update(instance: Model, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        related, _ = await one(instance, "patchAttributes", options)
        return await related.update(data, options)

    async def destroy(instance: Model, options: dict[str, Any] | None = None) -> None:
        related, _ = await one(instance, "deleteById", options)
        await related.destroy(options)

    data = Accept("data", target, "body")
    result = [Returns("data", target, True)]
    return [
        _method(
            f"__get__{name}",
            get,
            "GET",
            path,
            [Accept("refresh", "boolean", "query")],
            [Returns(name, target, True)],
            f"Fetches hasOne relation {name}.",
        ),
        _method(
            f"__create__{name}",
            create,
            "POST",
            path,
            [data],
            result,
            f"Creates a new instance in {name} of this model.",
        ),
        _method(f"__update__{name}", update, "PUT", path, [data], result, f"Update {name} of this model."),
        _method(f"__destroy__{name}", destroy, "DELETE", path, [], [], f"Deletes {name} of this model."),
    ]


def _by_id(relation: Relation) -> list[RemoteMethod]:
    name, path, target = relation.name, f"/:id/{relation.http_path}", relation.target.spec.name
    fk = _fk(relation)

    async def find_by_id(instance: Model, fk: Any, options: dict[str, Any] | None = None) -> Any:
        await check_access(relation.target, "findById", fk, options)
        return await accessor(instance, name)._require(fk, options)

    async def destroy_by_id(instance: Model, fk: Any, options: dict[str, Any] | None = None) -> None:
        await check_access(relation.target, "deleteById", fk, options)
        await accessor(instance, name).destroy_by_id(fk, options)

    async def update_by_id(instance: Model, fk: Any, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        await check_access(relation.target, "patchAttributes", fk, options)
        return await accessor(instance, name).update_by_id(fk, data, options)

    methods = [
        _method(
            f"__findById__{name}",
            find_by_id,
            "GET",
            f"{path}/:fk",
            [fk],
            [Returns("result", target, True)],
            f"Find a related item by id for {name}.",
        ),
        _method(
            f"__destroyById__{name}",
            destroy_by_id,
            "DELETE",
            f"{path}/:fk",
            [fk],
            [],
            f"Delete a related item by id for {name}.",
        ),
        _method(
            f"__updateById__{name}",
            update_by_id,
            "PUT",
            f"{path}/:fk",
            [fk, Accept("data", target, "body")],
            [Returns("result", target, True)],
            f"Update a related item by id for {name}.",
        ),
    ]
    if relation.kind not in ("through", "referencesMany"):
        return methods

    linked = relation.through.spec.name if relation.through is not None else target

    through = relation.through

    async def link(instance: Model, fk: Any, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        await check_access(relation.target, "findById", fk, options)
        if through is not None:
            await check_access(through, "create", None, options)
        return await accessor(instance, name).link(fk, data, options)

    async def unlink(instance: Model, fk: Any, options: dict[str, Any] | None = None) -> None:
        if through is not None:
            await check_access(through, "destroyAll", None, options)
        await accessor(instance, name).unlink(fk, options)

    async def exists(instance: Model, fk: Any, options: dict[str, Any] | None = None) -> bool:
        await check_access(through if through is not None else relation.target, "exists", None, options)
        if not await accessor(instance, name).exists(fk, options):
            # LoopBack's answer for a missing link: 404 (HEAD carries no body)
            raise NotFoundError(f'Unknown "{type(instance).spec.name}" id "{instance.id}".', code="MODEL_NOT_FOUND")
        return True

    body = [Accept("data", linked, "body")] if relation.through is not None else []
    return methods + [
        _method(
            f"__link__{name}",
            link,
            "PUT",
            f"{path}/rel/:fk",
            [fk, *body],
            [Returns(name, linked, True)],
            f"Add a related item by id for {name}.",
        ),
        _method(
            f"__unlink__{name}",
            unlink,
            "DELETE",
            f"{path}/rel/:fk",
            [fk],
            [],
            f"Remove the {name} relation to an item by id.",
        ),
        _method(
            f"__exists__{name}",
            exists,
            "HEAD",
            f"{path}/rel/:fk",
            [fk],
            [Returns("exists", "boolean", True)],
            f"Check the existence of {name} relation to an item by id.",
        ),
    ]


def _list(relation: Relation) -> list[RemoteMethod]:
    name, path, target = relation.name, f"/:id/{relation.http_path}", relation.target.spec.name
    owner = relation.owner.spec.name

    target_model = relation.target
    through = relation.through

    async def get(instance: Model, filter: Any = None, options: dict[str, Any] | None = None) -> Any:
        try:
            await check_access(target_model, "find", None, options)
        except HttpError as denied:
            # a model only its records' owners may read: each listed record must be the caller's
            found = await accessor(instance, name).find(filter, options)
            for record in found:
                try:
                    await check_access(target_model, "findById", record.id, options)
                except HttpError:
                    raise denied from None
            return found
        return await accessor(instance, name).find(filter, options)

    async def create(instance: Model, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        await check_access(target_model, "create", None, options)
        if through is not None:
            await check_access(through, "create", None, options)
        return await accessor(instance, name).create(data, options)

    async def delete(instance: Model, where: Any = None, options: dict[str, Any] | None = None) -> None:
        await check_access(target_model, "destroyAll", None, options)
        if through is not None:
            await check_access(through, "destroyAll", None, options)
        # LoopBack accepted a where here and deleted every related record anyway
        await accessor(instance, name).destroy_all(where, options)

    async def count(instance: Model, where: Any = None, options: dict[str, Any] | None = None) -> Any:
        await check_access(target_model, "count", None, options)
        return await accessor(instance, name).count(where, options)

    return [
        _method(
            f"__get__{name}",
            get,
            "GET",
            path,
            [Accept("filter", "object")],
            [Returns(name, [target], True)],
            f"Queries {name} of {owner}.",
        ),
        _method(
            f"__create__{name}",
            create,
            "POST",
            path,
            [Accept("data", target, "body")],
            [Returns("data", target, True)],
            f"Creates a new instance in {name} of this model.",
        ),
        _method(
            f"__delete__{name}",
            delete,
            "DELETE",
            path,
            [Accept("where", "object", description="Criteria to match model instances")],
            [],
            f"Deletes all {name} of this model.",
        ),
        _method(
            f"__count__{name}",
            count,
            "GET",
            f"{path}/count",
            [Accept("where", "object", description="Criteria to match model instances")],
            [Returns("count", "number")],
            f"Counts {name} of {owner}.",
        ),
    ]


_RELATION_METHOD = re.compile(r"^__([^_]+)__([^_]+)$")


def nested_methods(model: type[Model], served: Callable[[type[Model]], list[RemoteMethod]]) -> list[RemoteMethod]:
    """LoopBack's ``nestRemoting``: for each relation nested under ``model`` (its
    ``options.nestRemoting``, or ``Model.nest_remoting``), the relation routes its target serves
    (``served(target)``), under this model's: ``__get__shipments`` of Order becomes
    ``__get__orders__shipments`` of Customer at ``GET /:id/orders/:nk/shipments``."""
    names = [name for name, r in model._runtime.relations.items() if r.options.get("nestRemoting")]
    names += [name for name in model._runtime.nested_relations if name not in names]
    methods: list[RemoteMethod] = []
    for name in names:
        relation = model._runtime.relations.get(name)
        if relation is None or relation.target is None:
            continue
        for method in served(relation.target):
            matched = _RELATION_METHOD.match(method.name)
            if matched and not method.is_static:
                methods.append(_nested(relation, method, f"__{matched[1]}__{name}__{matched[2]}"))
    return methods


def _nested(relation: Relation, method: RemoteMethod, name: str) -> RemoteMethod:
    many = relation.type in MANY
    prefix = f"/:id/{relation.http_path}" + ("/:nk" if many else "")
    via = relation.name

    async def call(instance: Model, nk: Any = None, **args: Any) -> Any:
        related = accessor(instance, via)
        options = args.get("options")
        if many:
            await check_access(relation.target, "findById", nk, options)
            middle = await related._require(nk, options)
        else:
            middle = await related.get(options)
            await check_access(relation.target, "findById", middle.id if middle is not None else None, options)
        if middle is None:
            return None  # LoopBack answered null when the single related record is missing
        # the middle record's own relation method, as if it had been called on it
        await check_access(relation.target, method, middle.id, options)
        return await method.fn(middle, **args)

    nk = [Accept("nk", "any", "path", True, f"Foreign key for {via}.")] if many else []
    returns = method.returns if many else [replace(r, optional=True) for r in method.returns]
    return replace(
        method,
        name=name,
        fn=call,
        accepts=nk + list(method.accepts),
        returns=returns,
        http=[Endpoint(e.verb, prefix + e.path[len("/:id") :]) for e in method.http if e.path.startswith("/:id")],
    )
