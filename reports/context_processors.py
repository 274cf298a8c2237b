from reports.catalog import visible_to


def visible_reports(request):
    """The reports this user may open, for the navigation on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"reports": []}
    return {"reports": visible_to(user)}
