from django import forms
from django.contrib import admin, messages

from core.admin import CommandAdmin, ReadOnlyAdmin, changed, command_action
from pharmacy import commands, queries
from pharmacy.forms import OVERRIDE_HELP, AdjustForm, DispenseForm
from pharmacy.models import Dispense, DispenseAllocation, Drug, OrderCheck, Prescription, StockBatch, StockMovement


@admin.register(Drug)
class DrugAdmin(CommandAdmin):
    """The formulary: a drug leaves it by being deactivated (its prescriptions and stock name it)."""

    list_display = ["code", "generic_name", "strength", "form", "unit", "unit_price", "reorder_level", "active"]
    list_filter = ["form", "active"]
    search_fields = ["code", "generic_name", "ingredients"]
    editable = ["generic_name", "form", "strength", "unit", "unit_price", "reorder_level", "ingredients", "active"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def create(self, request, form, formsets):
        fields = ["code", "generic_name", "form", "strength", "unit", "unit_price", "reorder_level", "ingredients"]
        return commands.drug_create(**{f: form.cleaned_data[f] for f in fields})

    def update(self, request, obj, form):
        commands.drug_update(drug_id=obj.pk, **changed(form, *self.editable))


class MovementInline(admin.TabularInline):
    model = StockMovement
    fields = ["created_at", "kind", "quantity", "reason", "note", "dispense", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(StockBatch)
class StockBatchAdmin(CommandAdmin):
    """Stock is read-only here: it changes only by receiving (the add form) and by the adjust action."""

    list_display = ["drug", "lot_number", "expiry_date", "quantity_on_hand", "unit_cost", "received_at"]
    list_filter = ["expiry_date", "drug__form"]
    search_fields = ["lot_number", "drug__generic_name", "drug__code"]
    date_hierarchy = "expiry_date"
    list_select_related = ["drug"]
    autocomplete_fields = ["drug"]
    inlines = [MovementInline]
    actions = ["adjust_stock"]

    def get_fields(self, request, obj=None):
        if obj is None:  # receiving stock
            return ["drug", "lot_number", "expiry_date", "quantity_on_hand", "unit_cost"]
        return ["drug", "lot_number", "expiry_date", "quantity_on_hand", "unit_cost", "received_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["quantity_on_hand"].label = "Quantity received"
        return form

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.stock_receive(
            drug_id=data["drug"].pk,
            lot_number=data["lot_number"],
            expiry_date=data["expiry_date"],
            quantity=data["quantity_on_hand"],
            unit_cost=data["unit_cost"],
            received_by=request.user,
        )

    @command_action(description="Adjust stock of the selected batch…", perms=("pharmacy.change_stockbatch",))
    def adjust_stock(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Adjust one batch at a time.", level="error")
            return None
        batch = queryset.get()
        form = AdjustForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            if self.run_command(
                request, commands.stock_adjust, batch_id=batch.pk, adjusted_by=request.user, **form.cleaned_data
            ):
                self.message_user(request, f"Adjusted {batch}.")
            return None
        return self.confirm_page(request, title=f"Adjust {batch}", objects=[batch], form=form, action="adjust_stock")


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "batch", "kind", "quantity", "reason", "created_by"]
    list_filter = ["kind", "reason"]
    date_hierarchy = "created_at"
    search_fields = ["batch__lot_number", "batch__drug__generic_name"]
    list_select_related = ["batch__drug", "created_by"]


class PrescriptionAdminForm(forms.ModelForm):
    override_reason = forms.CharField(max_length=300, required=False, label="Override reason", help_text=OVERRIDE_HELP)

    class Meta:
        model = Prescription
        fields = ["encounter", "drug", "dose", "frequency", "duration_days", "quantity", "notes"]


class OrderCheckInline(admin.TabularInline):
    model = OrderCheck
    fields = ["stage", "action", "rule", "message", "override_reason", "decided_by", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Prescription)
class PrescriptionAdmin(CommandAdmin):
    """An order is never edited: a wrong one is cancelled and prescribed again. Adding one runs the same
    safety checks as the chart and the API (a block needs the override reason)."""

    form = PrescriptionAdminForm
    inlines = [OrderCheckInline]

    list_display = [
        "id",
        "drug",
        "encounter",
        "dose",
        "frequency",
        "duration_days",
        "quantity",
        "quantity_dispensed",
        "status",
        "prescribed_at",
    ]
    list_filter = ["status"]
    search_fields = ["drug__generic_name", "encounter__patient__mrn", "encounter__patient__family_name"]
    date_hierarchy = "prescribed_at"
    list_select_related = ["drug", "encounter__patient"]
    autocomplete_fields = ["encounter", "drug"]
    readonly_fields = ["quantity_dispensed", "status", "prescriber", "prescribed_at", "ended_at", "end_reason"]
    actions = ["dispense", "cancel"]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def create(self, request, form, formsets):
        fields = ["dose", "frequency", "duration_days", "quantity", "notes", "override_reason"]
        prescription = commands.prescription_create(
            encounter_id=form.cleaned_data["encounter"].pk,
            drug_id=form.cleaned_data["drug"].pk,
            prescriber=request.user,
            **{f: form.cleaned_data[f] for f in fields},
        )
        for finding in prescription.findings:
            overridden = " (overridden)" if finding.blocks else ""
            self.message_user(request, f"{finding.title}{overridden}: {finding.message}", messages.WARNING)
        return prescription

    @command_action(description="Dispense the selected prescription…", perms=("pharmacy.add_dispense",))
    def dispense(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Dispense one prescription at a time.", level="error")
            return None
        prescription = queryset.get()
        form = DispenseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            if self.run_command(
                request,
                commands.medication_dispense,
                prescription_id=prescription.pk,
                quantity=form.cleaned_data["quantity"],
                override_reason=form.cleaned_data["override_reason"],
                dispensed_by=request.user,
            ):
                self.message_user(request, f"Dispensed {prescription.drug}; the charge is on the encounter's invoice.")
            return None
        return self.confirm_page(
            request,
            title=f"Dispense {prescription.drug}",
            objects=[prescription],
            form=form,
            action="dispense",
            **queries.dispense_preview(prescription),
        )

    @command_action(description="Cancel the selected prescriptions", perms=("pharmacy.change_prescription",))
    def cancel(self, request, queryset):
        done = sum(
            self.run_command(request, commands.prescription_cancel, prescription_id=p.pk, cancelled_by=request.user)
            for p in queryset
        )
        self.message_user(request, f"Cancelled {done} prescription(s).")


class AllocationInline(admin.TabularInline):
    model = DispenseAllocation
    fields = ["batch", "quantity"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dispense)
class DispenseAdmin(ReadOnlyAdmin):
    """Read-only: dispense from a prescription (the action), so FEFO, allergies and charges apply."""

    list_display = ["dispensed_at", "prescription", "quantity", "dispensed_by", "override_reason"]
    date_hierarchy = "dispensed_at"
    search_fields = ["prescription__drug__generic_name", "prescription__encounter__patient__mrn"]
    list_select_related = ["prescription__drug", "dispensed_by"]
    inlines = [AllocationInline, OrderCheckInline]
    readonly_fields = [
        "prescription",
        "quantity",
        "dispensed_by",
        "dispensed_at",
        "override_reason",
        "override_by",
        "invoice_line",
    ]
