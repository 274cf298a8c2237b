"""Front desk pages: patient registration, and the ICD-10 lookup the chart's diagnosis box uses. Patient
search (over the patient view), the chart and its forms are the chart app's."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from clinical import commands, queries
from clinical.forms import RegisterForm
from core.errors import Conflict
from core.pages import run


@login_required
@permission_required("clinical.add_patient", raise_exception=True)
def register(request):
    form = RegisterForm(request.POST or None)
    candidates = []

    def register_new(**data):
        try:
            return commands.patient_register(**data)
        except Conflict as exc:
            candidates.extend(exc.extra.get("candidates", []))
            raise

    if request.method == "POST":
        done = run(
            request,
            form,
            register_new,
            success="Patient registered.",
            redirect_to=lambda p: p.get_absolute_url(),
        )
        if done:
            return done
        if candidates:
            form.warned()
    context = {"form": form, "candidates": candidates}
    return render(request, "clinical/register.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("clinical.view_patient", raise_exception=True)
def icd10_lookup(request):
    """The diagnosis picker's suggestions (static/js/combobox.js): ranked, with everyday words. Each result
    has `value` (what the box takes when picked) and `label`; a category is `disabled` (it cannot be
    recorded: the picker shows it, greyed, with why)."""
    found = queries.diagnosis_suggestions(q=request.GET.get("q", "")[:200])
    results = []
    for r in found:
        detail = _("category: pick a code under it") if not r["billable"] else ", ".join(r["terms"][:3])
        results.append(
            {
                **r,
                "value": f"{r['code']} {r['description']}",
                "label": f"{r['code']} {r['description']}",
                "detail": detail,
                "disabled": not r["billable"],
            }
        )
    return JsonResponse({"results": results})
