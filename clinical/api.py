"""Clinical API: thin — validate, then one command or one query."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clinical import commands, queries
from clinical import serializers as s
from clinical.filters import (
    AllergyFilter,
    DiagnosisFilter,
    EncounterFilter,
    LabResultFilter,
    NoteFilter,
    VitalsFilter,
)
from core.api.views import AuditedReads, CommandViewSet


class PatientViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.PatientOutput
    input_serializer = s.PatientInput

    def get_queryset(self):
        return queries.patient_search(q=self.request.query_params.get("q", ""))

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Name words, or an exact MRN.")])
    def list(self, request, *args, **kwargs):
        """Search patients.

        By name words or an exact MRN (`q`); without `q`, every patient your role may see, a page at a time. Each
        patient shown is recorded in the audit trail.
        """
        return super().list(request, *args, **kwargs)

    action_permissions = {"merge": ["clinical.merge_patient"], "unmerge": ["clinical.merge_patient"]}

    @extend_schema(request=s.PatientInput, responses={201: s.PatientOutput})
    def create(self, request):
        """Register a patient.

        A new patient, with the MRN given or the next one. Answers 201 with the patient; 400 naming `mrn` when
        another patient has it; 409 naming `confirm_new`, with `candidates` (id, MRN, names, birth date and
        why), when the same birth date and a similar name, or the same phone number, are on record: send
        again with `confirm_new: true` to register a new patient all the same.
        """
        return self.created(commands.patient_register(**self.validated()))

    @extend_schema(request=s.MergeInput, responses={200: s.MergeOutput})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge a duplicate record into this one.

        Every record of `duplicate` (encounters, allergies, problems, lab results, invoices, appointments,
        admissions) moves to this patient in one transaction; rows this patient already has the like of stay
        and are listed in `kept`. The duplicate's MRN then finds this patient. Admins only; undo the same day
        with `POST /patients/{duplicate}/unmerge/`.
        """
        if not (pk.isascii() and pk.isdigit()):
            raise Http404
        data = self.validated(s.MergeInput)
        merge = commands.patient_merge(
            survivor_id=pk, duplicate_id=data["duplicate"], merged_by=request.user, reason=data["reason"]
        )
        return self.respond(merge, serializer_class=s.MergeOutput)

    @extend_schema(request=None, responses={200: s.MergeOutput})
    @action(detail=True, methods=["post"])
    def unmerge(self, request, pk=None):
        """Undo today's merge of this record.

        The rows that moved go back to this record (those still on the survivor); it is a patient of its own
        again. Only on the day of the merge (409 after). Admins only.
        """
        if not (pk.isascii() and pk.isdigit()):
            raise Http404
        merge = commands.patient_unmerge(duplicate_id=int(pk), undone_by=request.user)
        return self.respond(merge, serializer_class=s.MergeOutput)

    @extend_schema(request=s.PatientUpdate, responses={200: s.PatientOutput})
    def partial_update(self, request, pk=None):
        """Correct a patient's details.

        Change the fields sent (names, date of birth, sex, phone, address); the MRN never changes.
        """
        return self.respond(commands.patient_update(patient_id=pk, **self.validated(s.PatientUpdate, partial=True)))


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.DepartmentOutput
    queryset = queries.departments()


class Icd10ViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.Icd10Output
    lookup_value_regex = r"[A-Za-z0-9.]+"

    def get_queryset(self):
        params = self.request.query_params
        return queries.icd10_search(q=params.get("q", ""), billable_only=params.get("billable") == "true")

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="A code prefix (E11, E11.9) or words of the description."),
            OpenApiParameter("billable", bool, description="Only leaf codes (valid on a claim)."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class EncounterViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.EncounterOutput
    input_serializer = s.EncounterInput
    filterset_class = EncounterFilter
    action_permissions = {"close": ["clinical.change_encounter"]}

    def get_queryset(self):
        return queries.encounters()

    @extend_schema(request=s.EncounterInput, responses={201: s.EncounterOutput})
    def create(self, request):
        """Start an encounter.

        Open a visit (outpatient, inpatient or emergency) for a patient in a department. The attending defaults to
        you and must be a clinician. 400 naming `patient`, `department` or `attending` when it does not exist.
        """
        data = self.validated()
        data["patient_id"] = data.pop("patient")
        data["department_id"] = data.pop("department")
        data["attending_id"] = data.pop("attending", request.user.pk)
        return self.created(commands.encounter_start(**data))

    @extend_schema(request=s.EncounterClose, responses={200: s.EncounterOutput})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an encounter.

        The visit is over: nothing more is recorded on it. 409 when it is already closed.
        """
        return self.respond(commands.encounter_close(encounter_id=pk, **self.validated(s.EncounterClose)))


class DiagnosisViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.DiagnosisOutput
    input_serializer = s.DiagnosisInput
    filterset_class = DiagnosisFilter

    def get_queryset(self):
        return queries.diagnoses()

    @extend_schema(request=s.DiagnosisInput, responses={201: s.DiagnosisOutput})
    def create(self, request):
        """Record a diagnosis.

        An ICD-10-CM code on an open encounter (at most one primary); the patient's problem list gains the problem.
        409 naming `encounter` when the encounter is closed.
        """
        data = self.validated()
        return self.created(
            commands.diagnosis_record(
                encounter_id=data["encounter"],
                code=data["code"],
                is_primary=data["is_primary"],
                recorded_by=request.user,
            )
        )


class AllergyViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.AllergyOutput
    input_serializer = s.AllergyInput
    filterset_class = AllergyFilter

    def get_queryset(self):
        return queries.allergies()

    @extend_schema(request=s.AllergyInput, responses={201: s.AllergyOutput})
    def create(self, request):
        """Record an allergy.

        Coded against the allergen list (`allergen`) or as free text (`substance`, coded when it names a listed
        allergen), with reaction, severity and onset. 409 when the same allergen is already recorded.
        """
        data = self.validated()
        data["patient_id"] = data.pop("patient")
        return self.created(commands.allergy_record(recorded_by=request.user, **data))

    @extend_schema(request=s.AllergyUpdate, responses={200: s.AllergyOutput})
    def partial_update(self, request, pk=None):
        """Confirm, refute or correct an allergy.

        Change its verification status, reaction, severity or onset, or code an uncoded one.
        """
        return self.respond(commands.allergy_update(allergy_id=pk, **self.validated(s.AllergyUpdate, partial=True)))


class AllergenViewSet(viewsets.GenericViewSet):
    """The allergen list allergies are coded against (shipped with the project: clinical/allergens.py)."""

    queryset = queries.allergies()  # those who may read allergies may read the list
    serializer_class = s.AllergenOutput
    pagination_class = None

    @extend_schema(responses={200: s.AllergenOutput(many=True)})
    def list(self, request):
        """List the allergen codes.

        The allergen list allergies are coded against (shipped with the project: clinical/allergens.py), with drug
        classes; not paginated.
        """
        return Response(s.AllergenOutput(s.ALLERGENS, many=True).data)


class AllergyStatementViewSet(AuditedReads, mixins.ListModelMixin, CommandViewSet):
    """'No known drug allergies' / 'no known allergies': what the patient said when asked."""

    serializer_class = s.AllergyStatementOutput
    input_serializer = s.AllergyStatementInput
    filterset_fields = ["patient", "kind"]

    def get_queryset(self):
        return queries.allergy_statements()

    @extend_schema(request=s.AllergyStatementInput, responses={201: s.AllergyStatementOutput})
    def create(self, request):
        """Record 'no known allergies'.

        The patient was asked and has no known drug allergies (or none at all); replaces their current statement.
        409 naming `kind` while an allergy it denies is on record.
        """
        data = self.validated()
        statement = commands.allergy_statement_record(
            patient_id=data["patient"], kind=data["kind"], stated_by=request.user
        )
        return self.created(statement)


class ConditionViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    """The problem list: one row per problem per patient (resolved ones stay, with their date)."""

    serializer_class = s.ConditionOutput
    input_serializer = s.ConditionInput
    filterset_fields = ["patient", "status"]
    action_permissions = {"resolve": ["clinical.change_condition"]}

    def get_queryset(self):
        return queries.conditions()

    @extend_schema(request=s.ConditionInput, responses={201: s.ConditionOutput})
    def create(self, request):
        """Add a problem to the problem list.

        A billable ICD-10-CM code for a patient, without an encounter. 409 naming `code` when it is already on the
        list.
        """
        data = self.validated()
        data["patient_id"] = data.pop("patient")
        return self.created(commands.condition_record(recorded_by=request.user, **data))

    @extend_schema(request=s.ConditionResolve, responses={200: s.ConditionOutput})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve a problem.

        The problem leaves the active problem list and stays on record with its resolution date. 409 when it is
        already resolved.
        """
        return self.respond(commands.condition_resolve(condition_id=pk, **self.validated(s.ConditionResolve)))


class VitalsViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.VitalsOutput
    input_serializer = s.VitalsInput
    filterset_class = VitalsFilter

    def get_queryset(self):
        return queries.vitals()

    @extend_schema(request=s.VitalsInput, responses={201: s.VitalsOutput})
    def create(self, request):
        """Record vital signs.

        A set of vital signs on an open encounter (any subset of the measurements); values outside plausible bounds
        are refused. 409 naming `encounter` when the encounter is closed.
        """
        data = self.validated()
        data["encounter_id"] = data.pop("encounter")
        return self.created(commands.vitals_record(recorded_by=request.user, **data))


class LabResultViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.LabResultOutput
    input_serializer = s.LabResultInput
    filterset_class = LabResultFilter

    def get_queryset(self):
        return queries.lab_results()

    @extend_schema(request=s.LabResultInput, responses={201: s.LabResultOutput})
    def create(self, request):
        """Record a lab result.

        A result of a listed LOINC test on an open (or recently closed) encounter, in the test's unit, flagged
        against its reference range; critical values raise a patient alert.
        """
        data = self.validated()
        data["encounter_id"] = data.pop("encounter")
        return self.created(commands.lab_result_record(recorded_by=request.user, **data))


def _number(pk: str) -> int:
    """A URL's object id, or 404 (fuzzing sent non-ASCII digits, which int() would take)."""
    if not (pk.isascii() and pk.isdigit()):
        raise Http404
    return int(pk)


class NoteViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    """Clinical notes on encounters: drafts edited and signed by their author; a signed note is final and is
    corrected by an amendment that links to it."""

    serializer_class = s.ClinicalNoteOutput
    input_serializer = s.ClinicalNoteInput
    filterset_class = NoteFilter
    action_permissions = {"sign": ["clinical.change_clinicalnote"], "amend": ["clinical.add_clinicalnote"]}

    def get_queryset(self):
        return queries.notes()

    @extend_schema(request=s.ClinicalNoteInput, responses={201: s.ClinicalNoteOutput})
    def create(self, request):
        """Write a note.

        A note on an open encounter, as a draft or signed at once (`sign`). 400 naming `text` when it is empty
        (or only the SOAP headings); 409 naming `encounter` when the encounter is closed.
        """
        data = self.validated()
        return self.created(
            commands.note_write(
                encounter_id=data["encounter"], author=request.user, text=data["text"], sign=data["sign"]
            )
        )

    @extend_schema(request=s.ClinicalNoteText, responses={200: s.ClinicalNoteOutput})
    def partial_update(self, request, pk=None):
        """Edit a draft note.

        Replace a draft's text (its author only), and sign it with `sign`. 409 when the note is signed (amend it)
        or someone else's.
        """
        data = self.validated(s.ClinicalNoteText)
        return self.respond(
            commands.note_edit(note_id=_number(pk), editor=request.user, text=data["text"], sign=data["sign"])
        )

    @extend_schema(request=None, responses={200: s.ClinicalNoteOutput})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign a draft note.

        Its author only; from then on the note cannot change. 409 when it is already signed or someone else's.
        """
        return self.respond(commands.note_sign(note_id=_number(pk), signer=request.user))

    @extend_schema(request=s.ClinicalNoteText, responses={201: s.ClinicalNoteOutput})
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        """Amend a signed note.

        A new note on the same encounter that links to this one (`amends`); the original stays as signed. Also
        after the encounter closed. 409 when the note is a draft or already amended (amend the amendment).
        """
        data = self.validated(s.ClinicalNoteText)
        return self.created(
            commands.note_amend(note_id=_number(pk), author=request.user, text=data["text"], sign=data["sign"])
        )
