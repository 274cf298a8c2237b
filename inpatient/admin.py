"""Wards and beds are managed here through the commands; admissions, the queue and bed-days are the
record (read-only), with actions that run the same commands as the ward's pages."""

from django.contrib import admin

from core.admin import AddOnlyInline, CommandAdmin, ReadOnlyAdmin, changed, command_action
from inpatient import commands
from inpatient.forms import BedStatusForm, CancelForm
from inpatient.models import Admission, AdmissionRequest, Bed, BedAssignment, BedDayCharge, Ward

WARD_FIELDS = ("name", "department", "sex_policy", "bed_day_price", "active")


class BedInline(AddOnlyInline):
    model = Bed
    fields = ["label", "status", "status_changed_at"]
    readonly_fields = ["status", "status_changed_at"]


@admin.register(Ward)
class WardAdmin(CommandAdmin):
    """A ward is closed (active off) once empty, never deleted: its beds carry the history."""

    list_display = ["code", "name", "department", "sex_policy", "bed_day_price", "active"]
    list_filter = ["active", "sex_policy", "department"]
    search_fields = ["code", "name"]
    list_select_related = ["department"]
    inlines = [BedInline]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.ward_create(
            code=data["code"],
            name=data["name"],
            department_id=data["department"].pk,
            sex_policy=data["sex_policy"],
            bed_day_price=data["bed_day_price"],
        )

    def update(self, request, obj, form):
        commands.ward_update(ward_id=obj.pk, **changed(form, *WARD_FIELDS))

    def save_inline(self, request, parent, formset):
        for bed in formset.save(commit=False):
            if bed.pk is None:
                commands.bed_create(ward_id=parent.pk, label=bed.label)


@admin.register(Bed)
class BedAdmin(CommandAdmin):
    """Statuses change with patients and housekeeping (the action), never by editing the row."""

    list_display = ["ward", "label", "status", "status_changed_at", "reserved_for", "note"]
    list_filter = ["status", "ward"]
    search_fields = ["label", "ward__name", "ward__code"]
    list_select_related = ["ward", "reserved_for"]
    actions = ["set_status"]

    def get_fields(self, request, obj=None):
        return (
            ["ward", "label"]
            if obj is None
            else ["ward", "label", "status", "status_changed_at", "reserved_for", "note"]
        )

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["ward", "status", "status_changed_at", "reserved_for", "note"]

    def create(self, request, form, formsets):
        return commands.bed_create(ward_id=form.cleaned_data["ward"].pk, label=form.cleaned_data["label"])

    def update(self, request, obj, form):
        if "label" in form.changed_data:
            commands.bed_update(bed_id=obj.pk, label=form.cleaned_data["label"])

    @command_action(
        description="Housekeeping: cleaned, out of service, back in service…", perms=("inpatient.housekeep_bed",)
    )
    def set_status(self, request, queryset):
        form = BedStatusForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = sum(
                self.run_command(
                    request, commands.bed_set_status, bed_id=bed.pk, changed_by=request.user, **form.cleaned_data
                )
                for bed in queryset
            )
            self.message_user(request, f"{done} bed(s) changed.")
            return None
        return self.confirm_page(
            request, title="Set the beds' status", objects=list(queryset), form=form, action="set_status"
        )


@admin.register(AdmissionRequest)
class AdmissionRequestAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "patient", "ward", "priority", "status", "closed_at"]
    list_filter = ["status", "priority", "ward"]
    search_fields = ["patient__mrn", "patient__family_name"]
    date_hierarchy = "requested_at"
    list_select_related = ["patient", "ward"]
    actions = ["cancel"]

    @command_action(
        description="Take the selected requests out of the queue", perms=("inpatient.change_admissionrequest",)
    )
    def cancel(self, request, queryset):
        done = sum(self.run_command(request, commands.admission_request_cancel, request_id=r.pk) for r in queryset)
        self.message_user(request, f"{done} request(s) taken out of the queue.")


class AssignmentInline(admin.TabularInline):
    model = BedAssignment
    fields = ["bed", "reason", "started_at", "ended_at", "cancelled", "assigned_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Admission)
class AdmissionAdmin(ReadOnlyAdmin):
    """The record of stays: admit, transfer and discharge on the ward's pages; here, undo a wrong one."""

    list_display = ["id", "patient", "status", "admitted_at", "discharge_ordered_at", "discharged_at"]
    list_filter = ["status", "disposition"]
    search_fields = ["patient__mrn", "patient__family_name"]
    date_hierarchy = "admitted_at"
    list_select_related = ["patient"]
    inlines = [AssignmentInline]
    actions = ["cancel"]

    @command_action(description="Cancel the selected admission (made in error)…", perms=("inpatient.cancel_admission",))
    def cancel(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Cancel one admission at a time.", level="error")
            return None
        admission = queryset.get()
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            if self.run_command(
                request,
                commands.admission_cancel,
                admission_id=admission.pk,
                cancelled_by=request.user,
                **form.cleaned_data,
            ):
                self.message_user(request, f"Cancelled {admission}.")
            return None
        return self.confirm_page(request, title=f"Cancel {admission}", objects=[admission], form=form, action="cancel")


@admin.register(BedDayCharge)
class BedDayChargeAdmin(ReadOnlyAdmin):
    list_display = ["night", "admission", "ward", "bed", "unit_price", "invoice_line", "charged_at"]
    list_filter = ["ward"]
    date_hierarchy = "night"
    search_fields = ["admission__patient__mrn"]
    list_select_related = ["admission__patient", "ward", "bed__ward", "invoice_line__invoice"]
