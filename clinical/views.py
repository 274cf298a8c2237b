"""Front desk pages: patient search and registration, and the ICD-10 lookup the chart's diagnosis box uses.
The chart and its forms are the chart app's."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import JsonResponse
from django.shortcuts import render

from clinical import commands, queries
from clinical.forms import RegisterForm
from core.audit import trail
from core.audit.models import AuditEvent
from core.pages import run


@login_required
@permission_required("clinical.view_patient", raise_exception=True)
def search(request):
    q = request.GET.get("q", "").strip()
    patients = list(queries.patient_search(q=q)[:50]) if q else []
    trail.read(AuditEvent.Action.LIST, patients)
    template = "clinical/_results.html" if request.GET.get("partial") else "clinical/search.html"
    return render(request, template, {"q": q, "patients": patients})


@login_required
@permission_required("clinical.add_patient", raise_exception=True)
def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        done = run(
            request,
            form,
            commands.patient_register,
            success="Patient registered.",
            redirect_to=lambda p: p.get_absolute_url(),
        )
        if done:
            return done
    return render(request, "clinical/register.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@permission_required("clinical.view_patient", raise_exception=True)
def icd10_lookup(request):
    codes = queries.icd10_search(q=request.GET.get("q", ""), billable_only=True)[:20] if request.GET.get("q") else []
    return JsonResponse({"results": [{"code": c.code, "description": c.description} for c in codes]})
