"""Clinical queries: one function per question; they read where the router sends them."""

from django.db.models import Q, QuerySet

from clinical.models import Patient


def patient_search(*, q: str = "") -> QuerySet[Patient]:
    patients = Patient.objects.all()
    q = q.strip()
    if q:
        every_word = Q()
        for word in q.split():
            every_word &= Q(given_name__icontains=word) | Q(family_name__icontains=word)
        patients = patients.filter(Q(mrn__iexact=q) | every_word)
    return patients
