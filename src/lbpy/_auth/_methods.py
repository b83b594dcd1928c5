"""What ACLs see of a remote method: its names (with LoopBack's aliases) and its access type.

LoopBack 3 declared the access type of each PersistedModel, relation and scope method (find is
READ, create WRITE, ``__get__orders`` READ, ``__link__parts`` WRITE, ...). A method of the app's
says its own (``accessType`` in the model JSON's ``methods``, ``access_type=`` from Python);
otherwise a GET or HEAD route is READ, a few names are READ or WRITE, and anything else EXECUTE.
"""

from __future__ import annotations

from .._model._remote_definition import RemoteMethod
from .._model._remote_methods import ALIASES
from ._acl import EXECUTE, READ, WRITE

_BUILTIN = {
    "create": WRITE,
    "patchOrCreate": WRITE,
    "replaceOrCreate": WRITE,
    "upsertWithWhere": WRITE,
    "exists": READ,
    "findById": READ,
    "replaceById": WRITE,
    "find": READ,
    "findOne": READ,
    "updateAll": WRITE,
    "deleteById": WRITE,
    "count": READ,
    "patchAttributes": WRITE,
    "createChangeStream": READ,
    "destroyAll": WRITE,
}
#: relation and scope methods: ``__get__orders`` and so on
_PREFIXES = {
    "get": READ,
    "findById": READ,
    "exists": READ,
    "count": READ,
    "create": WRITE,
    "update": WRITE,
    "destroy": WRITE,
    "destroyById": WRITE,
    "updateById": WRITE,
    "link": WRITE,
    "unlink": WRITE,
    "delete": WRITE,
}
#: LoopBack's rule for a method that says nothing
_BY_NAME = {
    "create": WRITE,
    "updateOrCreate": WRITE,
    "upsertWithWhere": WRITE,
    "upsert": WRITE,
    "exists": READ,
    "findById": READ,
    "find": READ,
    "findOne": READ,
    "destroyById": WRITE,
    "deleteById": WRITE,
    "removeById": WRITE,
    "count": READ,
}


def access_type(method: RemoteMethod) -> str:
    if method.access_type:
        return method.access_type
    if method.builtin:
        if method.name in _BUILTIN:
            return _BUILTIN[method.name]
        if method.name.startswith("__"):
            prefix = method.name[2:].split("__", 1)[0]
            if prefix in _PREFIXES:
                return _PREFIXES[prefix]
    if len(method.http) == 1 and method.http[0].verb in ("GET", "HEAD"):
        return READ
    return _BY_NAME.get(method.name, EXECUTE)


def method_names(method: RemoteMethod) -> frozenset[str]:
    """The names an ACL's ``property`` may give the method: its name and LoopBack's aliases."""
    return frozenset((method.name, *ALIASES.get(method.name, ())))
