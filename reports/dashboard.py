"""The dashboard summary: the headline numbers of every projection in one Redis hash (one read when warm).

Each projection declares what it adds (Projection.dashboard); this composes them."""

from django.utils import timezone

from reports.engine import freshness, store
from reports.projections import DASHBOARD, REGISTRY


def compose() -> dict[str, str]:
    """Headline numbers from the other projections' Redis summaries (integer cents for money)."""
    summary, metas = {}, []
    for projection in REGISTRY.values():
        fields = projection.dashboard
        if fields is None:
            metas.append(store.read_meta(projection.name))
            continue
        found = store.read(projection.name, *fields.parts, top=fields.top)
        metas.append(found["meta"])
        summary.update(fields.compose(found))
    refreshed_at, fresh_as_of = freshness.combined(metas)
    return {
        **summary,
        "fresh_as_of": fresh_as_of.isoformat() if fresh_as_of else "",
        "refreshed_at": refreshed_at.isoformat() if refreshed_at else "",
        "built_on": timezone.localdate().isoformat(),
    }


def rebuild() -> dict[str, str]:
    summary = compose()
    store.write(DASHBOARD, {"summary": summary}, {k: summary[k] for k in ("fresh_as_of", "refreshed_at", "built_on")})
    return summary
