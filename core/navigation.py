"""What the navigation on every page may offer a user: only links they can follow (issue 25)."""

from django.contrib import admin


def may_use_admin(request) -> bool:
    """True when the admin would show this user something: staff status alone only earns its refusal
    ("You don't have permission to view or edit anything"). The same test as the admin's index: a model
    whose module the user may see and on which they hold at least one permission."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    for model_admin in admin.site._registry.values():
        if model_admin.has_module_permission(request) and any(model_admin.get_model_perms(request).values()):
            return True
    return False


def navigation(request):
    """Context processor: `may_use_admin` is computed only where a template asks for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"may_use_admin": False}
    return {"may_use_admin": lambda: may_use_admin(request)}
