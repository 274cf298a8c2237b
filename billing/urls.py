from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoices, name="invoices"),
    path("unbilled/", views.unbilled, name="unbilled"),
    path("encounters/<int:encounter_id>/invoice/", views.new_invoice, name="new_invoice"),
    path("invoices/<int:invoice_id>/", views.invoice, name="invoice"),
    path("invoices/<int:invoice_id>/print/", views.print_invoice, name="print"),
    path("invoices/<int:invoice_id>/issue/", views.issue, name="issue"),
    path("invoices/<int:invoice_id>/payments/", views.pay, name="pay"),
    path("invoices/<int:invoice_id>/credit-notes/", views.credit, name="credit"),
    path("invoices/<int:invoice_id>/void/", views.void, name="void"),
    path("payments/<int:payment_id>/receipt/", views.receipt, name="receipt"),
]
