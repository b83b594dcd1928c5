"""Add an ACL entry to a model, or to every model of the app -- the prompts of LoopBack 3's
``loopback:acl``, in its order: model, scope, method name, access type, role, permission.

The entry is written in LoopBack's format, with its keys in the order LoopBack's generator
writes them: ``accessType``, ``principalType`` (always ``ROLE``), ``principalId``,
``permission``, then ``property`` for a single method.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._errors import UsageError
from .._project import dump_json
from ._errors import reported
from ._model import report
from ._options import AppDir, ConfigAnswers, Yes
from ._property import _with_key
from ._relation import check_model
from ._wizard import open_wizard

if TYPE_CHECKING:
    from .._project import AppProject
    from ._ask import Asker

ALL_MODELS = "(all existing models)"
SCOPES = ("all", "method")
SCOPE_TITLES = {"all": "All methods and properties", "method": "A single method"}
#: ``*`` is LoopBack's ACL.ALL; a single method's entry is EXECUTE, as LoopBack's generator writes it
ACCESS_TYPES = ("*", "READ", "WRITE", "EXECUTE")
ACCESS_TITLES = {"*": "All (match all types)", "READ": "Read", "WRITE": "Write", "EXECUTE": "Execute"}
#: LoopBack's built-in roles, in its prompt's order
ROLES = ("$everyone", "$unauthenticated", "$authenticated", "$owner")
OTHER_ROLE = "other"
ROLE_TITLES = {
    "$everyone": "All users ($everyone)",
    "$unauthenticated": "Any unauthenticated user ($unauthenticated)",
    "$authenticated": "Any authenticated user ($authenticated)",
    "$owner": "The user owning the object ($owner)",
    OTHER_ROLE: "other (a role of the app)",
}
PERMISSIONS = ("ALLOW", "DENY")
PERMISSION_TITLES = {"ALLOW": "Explicitly grant access (ALLOW)", "DENY": "Explicitly deny access (DENY)"}
CONFIG_KEYS = ["model", "allModels", "scope", "property", "method", "accessType", "role", "customRole", "permission"]

#: what LoopBack matches an ACL's ``property`` against: a remote method's name (instance
#: methods without ``prototype.``), or one of its aliases
_METHOD_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class NewAcl:
    access_type: str
    principal_id: str
    permission: str
    property: str | None = None
    principal_type: str = "ROLE"  # LoopBack's generator writes role entries only

    def definition(self) -> dict[str, Any]:
        """The entry in the model JSON's ``acls``, keys in the order LoopBack's generator wrote them."""
        entry: dict[str, Any] = {
            "accessType": self.access_type,
            "principalType": self.principal_type,
            "principalId": self.principal_id,
            "permission": self.permission,
        }
        if self.property is not None:
            entry["property"] = self.property
        return entry


# -- validation -----------------------------------------------------------------------------------


def check_scope(scope: Any, *, flag: str = "--scope") -> str:
    if scope not in SCOPES:
        raise UsageError(
            f"{flag}: {json.dumps(scope)} is not an ACL scope; use all (every method and property) "
            "or method (a single method, named with --method)"
        )
    return str(scope)


def check_method_name(name: Any, *, flag: str = "--method") -> str:
    if isinstance(name, str) and name.startswith("prototype."):
        raise UsageError(
            f'{flag}: an ACL names an instance method without "prototype." '
            f"(use --method {name[len('prototype.') :] or 'NAME'})"
        )
    if name == "*":
        raise UsageError(f'{flag}: "*" is every method; use --scope all instead')
    if not isinstance(name, str) or not _METHOD_NAME.fullmatch(name):
        raise UsageError(
            f"{flag}: {json.dumps(name)} is not a method name; use a remote method's name, "
            "e.g. find, deleteById, patchAttributes or __get__orders"
        )
    return name


def check_access_type(kind: Any, *, flag: str = "--access-type") -> str:
    if isinstance(kind, str):
        upper = kind.upper()
        if upper in ("*", "ALL"):
            return "*"
        if upper in ACCESS_TYPES:
            return upper
    raise UsageError(f"{flag}: {json.dumps(kind)} is not an access type; use READ, WRITE, EXECUTE or ALL")


def check_role(role: Any, *, flag: str = "--role") -> str:
    """A built-in role, ``other`` (ask for a custom one), or a custom role's name."""
    if role in ROLES or role == OTHER_ROLE:
        return str(role)
    return check_custom_role(role, flag=flag)


def check_custom_role(role: Any, *, flag: str = "--role") -> str:
    if not isinstance(role, str) or not role.strip():
        raise UsageError(f"{flag}: a role name is required, e.g. --role admin")
    if role != role.strip() or _CONTROL.search(role):
        raise UsageError(
            f"{flag}: {json.dumps(role)} is not a role name (no control characters, no spaces at either end)"
        )
    if role.startswith("$"):
        # a typo in a built-in role would match nobody: a DENY that protects nothing
        raise UsageError(
            f"{flag}: {json.dumps(role)} is not one of LoopBack's built-in roles "
            f"({', '.join(ROLES)}); the name of a role of the app does not start with $"
        )
    if role == OTHER_ROLE:
        raise UsageError(f'{flag}: "other" asks for a role of the app; pass its name instead, e.g. --role admin')
    return role


def check_permission(permission: Any, *, flag: str = "--permission") -> str:
    if isinstance(permission, str) and permission.upper() in PERMISSIONS:
        return permission.upper()
    raise UsageError(f"{flag}: {json.dumps(permission)} is not a permission; use ALLOW or DENY")


def _bool_answer(asker: Asker, key: str, flag: str) -> bool | None:
    if not asker.has_answer(key):
        return None
    value = asker.answer(key)
    if not isinstance(value, bool):
        raise UsageError(f"{flag}: the --config answer must be true or false, not {json.dumps(value)}")
    return value


def _first_answer(asker: Asker, *keys: str) -> Any:
    for key in keys:
        if asker.has_answer(key):
            return asker.answer(key)
    return None


# -- asking ---------------------------------------------------------------------------------------


def ask_acl(
    project: AppProject,
    asker: Asker,
    *,
    model: Any = None,
    all_models: bool = False,
    scope: Any = None,
    method: Any = None,
    access_type: Any = None,
    role: Any = None,
    permission: Any = None,
) -> tuple[list[str] | None, NewAcl]:
    """The models to change (``None``: every model of the app) and the entry to add to them."""
    models = {n: d for n, (_, d) in sorted(project.model_definitions().items())}
    if not models:
        raise UsageError("the app has no models yet; create one first with: lbpy model NAME")
    names = list(models)

    if not all_models:
        all_models = bool(_bool_answer(asker, "allModels", "--all-models"))
    if model is None and asker.has_answer("model"):
        model = asker.answer("model")
        if model is None:  # LoopBack's own answer for "(all existing models)"
            all_models = True
    if all_models and model is not None:
        raise UsageError("--model and --all-models: pass one of them")
    if not all_models:
        # --yes takes LoopBack's default (every model); with no terminal the choice must be made
        default = ALL_MODELS if asker.prompting or asker.yes else None
        model = asker.select(
            "Select the model to apply the ACL entry to",
            [ALL_MODELS, *names],
            value=model,
            default=default,
            flag="--model MODEL or --all-models",
            key="model",
            what="The model to apply the ACL entry to",
            validate=lambda m: m if m == ALL_MODELS else check_model(m, models, flag="--model"),
        )
        all_models = model == ALL_MODELS

    if method is None:
        method = _first_answer(asker, "method", "property")
    if scope is None and not asker.has_answer("scope") and method is not None:
        scope = "method"
    scope = asker.select(
        "Select the ACL scope",
        list(SCOPES),
        value=scope,
        default="all",
        flag="--scope",
        key="scope",
        titles=SCOPE_TITLES,
        validate=check_scope,
    )
    if scope == "all" and method is not None:
        raise UsageError("--method names a single method: pass --scope method, or leave --method out")
    if scope == "method":
        method = asker.text(
            "Enter the method name",
            value=method,
            flag="--method",
            key="method",
            what="The method name",
            validate=check_method_name,
        )

    if access_type is None:
        access_type = _first_answer(asker, "accessType")
    if scope == "all":
        access_type = asker.select(
            "Select the access type",
            list(ACCESS_TYPES),
            value=access_type,
            default="*",
            flag="--access-type",
            key="accessType",
            titles=ACCESS_TITLES,
            validate=check_access_type,
        )
    else:
        # LoopBack's generator does not ask: a method's entry is EXECUTE (which matches READ and WRITE)
        access_type = "EXECUTE" if access_type is None else check_access_type(access_type)

    role = asker.select(
        "Select the role",
        [*ROLES, OTHER_ROLE],
        value=role,
        default="$everyone",
        flag="--role",
        key="role",
        titles=ROLE_TITLES,
        validate=check_role,
    )
    if role == OTHER_ROLE:
        role = asker.text(
            "Enter the role name",
            flag="--role NAME",
            key="customRole",
            what="The name of the app's role",
            validate=check_custom_role,
        )

    # LoopBack's permission question has no default: --yes does not grant or deny on its own
    permission = asker.select(
        "Select the permission to apply",
        list(PERMISSIONS),
        value=permission,
        flag="--permission ALLOW or --permission DENY",
        key="permission",
        what="The permission",
        titles=PERMISSION_TITLES,
        validate=check_permission,
    )
    acl = NewAcl(
        access_type=access_type,
        principal_id=role,
        permission=permission,
        property=method if scope == "method" else None,
    )
    return (None if all_models else [model]), acl


# -- doing ---------------------------------------------------------------------------------------


def add_acl(project: AppProject, models: list[str] | None, acl: NewAcl) -> dict[str, str]:
    """Append ``acl`` to the ``acls`` of ``models`` (``None``: every model of the app), as one
    change: every file or none. A model that already holds the same entry is left as it is.
    Returns relative path -> "update" / "keep"."""
    check_access_type(acl.access_type)
    if acl.principal_id not in ROLES:
        check_custom_role(acl.principal_id)
    check_permission(acl.permission)
    if acl.property is not None:
        check_method_name(acl.property)
    if acl.principal_type != "ROLE":
        raise UsageError(f'principal type "{acl.principal_type}": the ACL wizard writes ROLE entries only')
    definitions = project.model_definitions(strict=models is None)
    if not definitions:
        raise UsageError("the app has no models yet; create one first with: lbpy model NAME")
    targets = sorted(definitions) if models is None else models
    entry = acl.definition()
    files: dict[str, str] = {}
    actions: dict[str, str] = {}
    for name in targets:
        path, definition = definitions.get(name) or project.require_model(name, flag="--model")
        relative = project.relative(path)
        acls = definition.get("acls")
        if acls is None:
            acls = []
        if not isinstance(acls, list):
            raise UsageError(f'{relative}: "acls" must be a list; fix the file first')
        if entry in acls:
            actions[relative] = "keep"
            continue
        updated = _with_key(definition, "acls", [*acls, entry], after=("relations", "validations", "properties"))
        files[relative] = dump_json(updated)
        actions[relative] = "update"
    project.write_files(files)
    return actions


# -- the command ---------------------------------------------------------------------------------


def command(
    model: str | None = typer.Option(None, "--model", help="The model to add the entry to."),
    all_models: bool = typer.Option(False, "--all-models", help="Add the entry to every model of the app."),
    scope: str | None = typer.Option(
        None, "--scope", help="all (every method and property) or method (a single method)."
    ),
    method: str | None = typer.Option(
        None, "--method", "--property", help="The single method the entry is for, e.g. deleteById."
    ),
    access_type: str | None = typer.Option(
        None, "--access-type", help="READ, WRITE, EXECUTE or ALL (a single method's entry is EXECUTE)."
    ),
    role: str | None = typer.Option(
        None, "--role", help="$everyone, $unauthenticated, $authenticated, $owner, or a role of the app."
    ),
    permission: str | None = typer.Option(None, "--permission", help="ALLOW or DENY."),
    yes: Yes = False,
    config: ConfigAnswers = None,
    app_dir: AppDir = Path("."),
) -> None:
    """Add an ACL entry to a model, or to every model (LoopBack 3's loopback:acl)."""
    with reported():
        project, asker = open_wizard(app_dir, yes=yes, config=config, keys=CONFIG_KEYS)
        models, acl = ask_acl(
            project,
            asker,
            model=model,
            all_models=all_models,
            scope=scope,
            method=method,
            access_type=access_type,
            role=role,
            permission=permission,
        )
        actions = add_acl(project, models, acl)
        report(actions)
        changed = [path for path, action in actions.items() if action == "update"]
        entry = json.dumps(acl.definition())
        if changed:
            typer.echo(f"Added {entry} to {len(changed)} model{'s' if len(changed) != 1 else ''}.")
        else:
            typer.echo(f"Nothing to change: {entry} is already there.")
