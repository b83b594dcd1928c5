"""Access control: LoopBack 3's users, access tokens, roles and ACLs (see ``_service``)."""

from ._context import AccessContext, Principal
from ._models import BUILTIN_CLASSES, AccessTokenModel, AclModel, RoleMappingModel, RoleModel, UserModel
from ._service import AccessControl, CallAccess
from ._settings import AuthSettings

__all__ = [
    "BUILTIN_CLASSES",
    "AccessContext",
    "AccessControl",
    "AccessTokenModel",
    "AclModel",
    "AuthSettings",
    "CallAccess",
    "Principal",
    "RoleMappingModel",
    "RoleModel",
    "UserModel",
]
