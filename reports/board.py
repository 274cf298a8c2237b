"""The ward's pages, from the bed-board projection: the bed board (every ward, or one), its polling
endpoint, and a ward's list of current inpatients (the nurses' landing page). The writes they link to
(admit, transfer, discharge, housekeeping) are the inpatient app's pages."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.audit import trail
from core.audit.models import AuditEvent
from reports.engine import freshness
from reports.queries.beds import bed_board, bed_board_json

BOARD_PERMISSION = "inpatient.view_bed"
WARD_LIST_PERMISSION = "inpatient.view_admission"
LAST_WARD = "inpatient.ward"  # the session remembers the ward a nurse looked at last


def _ward_id(request) -> int | None:
    value = request.GET.get("ward", "")
    return int(value) if value.isdigit() else None


def _sees_alerts(user) -> bool:
    return user.has_perm("clinical.view_labresult")  # decision support is for those who see results


def _audit(shown: int, ward_id: int | None) -> None:
    """One event per view of the board, saying what was asked and how many patients it showed. Not one per
    patient: the board is the wards' operational display, redrawn all day on every ward's screen, and a
    whole hospital's board would add a thousand audit rows each time. Opening a patient's admission, chart
    or ward list records that patient as usual."""
    detail = f"ward={ward_id or 'all'} patients={shown}"
    trail.add([trail.event(AuditEvent.Action.LIST, "inpatient.bed_board", detail=detail)])


def _patients_in(wards: list[dict]) -> int:
    return sum(1 for ward in wards for bed in ward["beds"] if "patient" in bed)


STATUS_LABELS = {
    "free": "Free",
    "occupied": "Occupied",
    "reserved": "Reserved",
    "cleaning": "Cleaning",
    "out_of_service": "Out of service",
}


def _shown(wards: list[dict], alerts: dict | None) -> list[dict]:
    """The wards as the page shows them: each bed with its status label and alert count (new dicts: the
    answer's are shared by every request of this process)."""
    return [
        {
            **ward,
            "beds": [
                {
                    **bed,
                    "status_label": STATUS_LABELS[bed["status"]],
                    "alerts": (alerts or {}).get(str(bed.get("patient"))),
                }
                for bed in ward["beds"]
            ],
        }
        for ward in wards
    ]


# The wards' HTML as drawn for a board version, its alerts, the reader's permissions and the ward filter:
# drawing a thousand beds takes tens of milliseconds, and every screen on every ward shows the same board.
_drawn: dict[tuple, str] = {}
DRAWN_KEPT = 32
DRAWING_PERMISSIONS = ("inpatient.add_admission", "inpatient.housekeep_bed", "inpatient.view_admission")


def _wards_html(request, answer: dict, ward_id: int | None) -> str:
    alerts = answer["alerts"]
    allowed = {p.split(".")[1]: request.user.has_perm(p) for p in DRAWING_PERMISSIONS}
    # The version covers the alert counts (reports/queries/beds.py); whether they are shown is in the key.
    key = (answer["version"], timezone.localdate(), alerts is None, tuple(allowed.values()), ward_id)
    html = _drawn.get(key)
    if html is None:
        # Only the permissions in the key may decide what is drawn.
        context = {"shown": _shown(answer["wards"], alerts), "perms": {"inpatient": allowed}}
        html = render_to_string("reports/board/_wards.html", context)
        if len(_drawn) >= DRAWN_KEPT:
            _drawn.clear()
        _drawn[key] = html
    return mark_safe(html.replace("__CSRF__", get_token(request)))  # noqa: S308 (our own template's output)


def _ward_choices(answer: dict, all_wards: dict | None = None) -> list[dict]:
    source = all_wards if all_wards is not None else answer
    return [{"id": w["id"], "name": w["name"]} for w in source["wards"]]


@login_required
@permission_required(BOARD_PERMISSION, raise_exception=True)
def board_page(request):
    ward_id = _ward_id(request)
    answer = bed_board(ward_id=ward_id, with_alerts=_sees_alerts(request.user))
    _audit(answer["totals"]["occupied"] if not ward_id else _patients_in(answer["wards"]), ward_id)
    context = {
        "answer": answer,
        "wards_html": _wards_html(request, answer, ward_id),
        "statuses": STATUS_LABELS,
        "ward_id": ward_id,
        "wards": _ward_choices(bed_board(with_alerts=False)) if ward_id else _ward_choices(answer),
        "stale": freshness.warn(answer),
    }
    template = "reports/board/_board.html" if request.GET.get("partial") else "reports/board/board.html"
    return render(request, template, context)


@login_required
@permission_required(BOARD_PERMISSION, raise_exception=True)
def board_data(request):
    """The board as JSON. `since=<version>`: {"unchanged": true} while it is still current; `brief=1`: the
    version, totals and freshness only (what the page polls; no patient named, so nothing to audit)."""
    ward_id, brief = _ward_id(request), request.GET.get("brief") == "1"
    body = bed_board_json(
        ward_id=ward_id, with_alerts=_sees_alerts(request.user), since=request.GET.get("since", ""), brief=brief
    )
    if not brief and '"wards":' in body:
        _audit(body.count('"patient":'), ward_id)
    return HttpResponse(body, content_type="application/json")


@login_required
@permission_required(WARD_LIST_PERMISSION, raise_exception=True)
def ward_list(request):
    """A ward's current inpatients, by bed: the ward chosen (remembered), else the first."""
    everything = bed_board(with_alerts=_sees_alerts(request.user))
    wards = everything["wards"]
    ward_id = _ward_id(request) or request.session.get(LAST_WARD)
    ward = next((w for w in wards if w["id"] == ward_id), wards[0] if wards else None)
    if ward is not None and request.session.get(LAST_WARD) != ward["id"]:
        request.session[LAST_WARD] = ward["id"]
    ward = _shown([ward], everything["alerts"])[0] if ward else None
    patients = [bed for bed in ward["beds"] if "patient" in bed] if ward else []
    trail.read_rows("inpatient.ward_list", [{"patient_id": bed["patient"]} for bed in patients])
    context = {
        "answer": everything,
        "ward": ward,
        "patients": patients,
        "wards": _ward_choices(everything),
        "sees_alerts": everything["alerts"] is not None,
        "stale": freshness.warn(everything),
    }
    return render(request, "reports/board/ward.html", context)
