from django import forms
from django.contrib import admin

from billing import commands
from billing.forms import VoidForm
from billing.models import CreditNote, Invoice, InvoiceLine, Payer, Payment, Service
from core.admin import CommandAdmin, ReadOnlyAdmin, changed, command_action


@admin.register(Payer)
class PayerAdmin(CommandAdmin):
    """Payers are deactivated, never deleted (their invoices name them)."""

    list_display = ["name", "kind", "payment_terms_days", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]

    def create(self, request, form, formsets):
        return commands.payer_create(**{f: form.cleaned_data[f] for f in ("name", "kind", "payment_terms_days")})

    def update(self, request, obj, form):
        commands.payer_update(payer_id=obj.pk, **changed(form, "name", "kind", "payment_terms_days", "active"))


@admin.register(Service)
class ServiceAdmin(CommandAdmin):
    """The price list: a price change applies to invoices made after it."""

    list_display = ["code", "name", "department", "price", "active"]
    list_filter = ["department", "active"]
    search_fields = ["code", "name"]
    list_select_related = ["department"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []  # the code is how invoices and reports know the service

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.service_create(
            code=data["code"], name=data["name"], department_id=data["department"].pk, price=data["price"]
        )

    def update(self, request, obj, form):
        commands.service_update(service_id=obj.pk, **changed(form, "name", "department", "price", "active"))


class LineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            problems = commands.line_errors(
                {
                    "service": data["service"].pk if data.get("service") else None,
                    "description": data.get("description"),
                    "quantity": data.get("quantity") or 0,
                    "unit_price": data.get("unit_price"),
                    "discount": data.get("discount") or 0,
                }
            )
            for field, messages in problems.items():
                form.add_error(field if field in form.fields else None, messages)


class LineInline(admin.TabularInline):
    model = InvoiceLine
    formset = LineFormSet
    extra = 1
    fields = ["service", "description", "quantity", "unit_price", "discount", "line_total"]
    readonly_fields = ["line_total"]
    autocomplete_fields = ["service"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for name in ("description", "unit_price"):
            formset.form.base_fields[name].required = False
        formset.form.base_fields["unit_price"].help_text = "Empty: the price list's."
        return formset

    def has_change_permission(self, request, obj=None):
        return obj is None  # lines are given when the invoice is created; after that they are history

    def has_add_permission(self, request, obj=None):
        return obj is None


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["amount", "method", "reference", "paid_on", "received_at"]
    readonly_fields = ["received_at"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False  # a payment is recorded, never edited; a credit note corrects the balance

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.status in commands.OPEN_STATUSES and super().has_add_permission(request, obj)


class CreditNoteInline(PaymentInline):
    model = CreditNote
    fields = ["amount", "reason", "credited_on", "created_at"]
    readonly_fields = ["created_at"]


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["patient", "encounter", "payer", "posting_date", "due_date", "notes"]

    def clean(self):
        data = super().clean()
        encounter, patient = data.get("encounter"), data.get("patient")
        if encounter and patient and encounter.patient_id != patient.pk:
            self.add_error("encounter", "This encounter belongs to another patient.")
        return data

    def _post_clean(self):
        # Totals, status and due-date defaults are the command's business, not the model form's.
        pass


CHANGE_INVOICE = "billing.change_invoice"  # what issuing and voiding need through the API too


@admin.register(Invoice)
class InvoiceAdmin(CommandAdmin):
    form = InvoiceForm
    list_display = ["__str__", "patient", "payer", "status", "posting_date", "due_date", "total", "outstanding"]
    list_filter = ["status", "payer", "posting_date"]
    search_fields = ["number", "patient__mrn", "patient__family_name"]
    date_hierarchy = "posting_date"
    list_select_related = ["patient", "payer"]
    autocomplete_fields = ["patient", "encounter"]
    inlines = [LineInline, PaymentInline, CreditNoteInline]
    actions = ["issue_invoices", "void_invoices"]
    computed = ["number", "status", "subtotal", "discount_total", "total", "amount_paid", "amount_credited"]

    @admin.display(description="Outstanding")
    def outstanding(self, obj):
        return obj.outstanding

    def get_fields(self, request, obj=None):
        base = ["patient", "encounter", "payer", "posting_date", "due_date", "notes"]
        if obj is None:
            return base
        return [*self.computed, "outstanding", *base, "supplements", "issued_at", "voided_at", "void_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            *self.computed,
            "outstanding",
            "patient",
            "encounter",
            "payer",
            "posting_date",
            "due_date",
            "supplements",
            "issued_at",
            "issued_by",
            "voided_at",
            "voided_by",
            "void_reason",
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["due_date"].required = False
            form.base_fields["due_date"].help_text = "Empty: posting date + the payer's payment terms."
        return form

    def create(self, request, form, formsets):
        """The invoice and its lines in one command: all or nothing."""
        lines_formset = next(f for f in formsets if f.model is InvoiceLine)
        lines = [
            {
                "service": data["service"].pk if data.get("service") else None,
                "description": data.get("description") or "",
                "quantity": data["quantity"],
                "unit_price": data.get("unit_price"),
                "discount": data.get("discount") or 0,
            }
            for data in lines_formset.cleaned_data
            if data and not data.get("DELETE")
        ]
        header = form.cleaned_data
        return commands.invoice_create(
            patient_id=header["patient"].pk,
            payer_id=header["payer"].pk,
            encounter_id=header["encounter"].pk if header.get("encounter") else None,
            posting_date=header.get("posting_date"),
            due_date=header.get("due_date"),
            notes=header.get("notes", ""),
            lines=lines,
            created_by=request.user,
        )

    def update(self, request, obj, form):
        if "notes" in form.changed_data:
            commands.invoice_notes_update(invoice_id=obj.pk, notes=form.cleaned_data["notes"])

    def save_inline(self, request, parent, formset):
        """Payments and credit notes added on the invoice's page (existing ones are read-only)."""
        invoice = parent
        for item in formset.save(commit=False):
            if isinstance(item, Payment):
                commands.payment_record(
                    invoice_id=invoice.pk,
                    amount=item.amount,
                    method=item.method,
                    reference=item.reference,
                    paid_on=item.paid_on,
                    received_by=request.user,
                )
            elif isinstance(item, CreditNote):
                commands.credit_note_create(
                    invoice_id=invoice.pk,
                    amount=item.amount,
                    reason=item.reason,
                    credited_on=item.credited_on,
                    created_by=request.user,
                )

    @command_action(description="Issue the selected draft invoices (assigns numbers)", perms=(CHANGE_INVOICE,))
    def issue_invoices(self, request, queryset):
        issued = sum(
            self.run_command(request, commands.invoice_issue, invoice_id=pk, issued_by=request.user)
            for pk in queryset.order_by("pk").values_list("pk", flat=True)
        )
        self.message_user(request, f"Issued {issued} invoice(s).")

    @command_action(description="Void the selected invoices…", perms=(CHANGE_INVOICE,))
    def void_invoices(self, request, queryset):
        form = VoidForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            voided = sum(
                self.run_command(
                    request,
                    commands.invoice_void,
                    invoice_id=pk,
                    reason=form.cleaned_data["reason"],
                    voided_by=request.user,
                )
                for pk in queryset.values_list("pk", flat=True)
            )
            self.message_user(request, f"Voided {voided} invoice(s).")
            return None
        return self.confirm_page(
            request,
            title="Void invoices",
            objects=queryset,
            form=form,
            action="void_invoices",
            intro="Invoices with payments cannot be voided; they are skipped with a message.",
        )


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments are recorded on the invoice's page (through the command, which keeps amount_paid right)."""

    list_display = ["invoice", "amount", "method", "reference", "paid_on", "received_at"]
    list_filter = ["method", "paid_on"]
    search_fields = ["invoice__number", "reference"]
    date_hierarchy = "paid_on"
    list_select_related = ["invoice"]


@admin.register(CreditNote)
class CreditNoteAdmin(PaymentAdmin):
    list_display = ["invoice", "amount", "reason", "credited_on", "created_at"]
    list_filter = ["credited_on"]
    search_fields = ["invoice__number", "reason"]
    date_hierarchy = "credited_on"
