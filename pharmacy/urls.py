from django.urls import path

from pharmacy import views

app_name = "pharmacy"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("prescriptions/<int:prescription_id>/dispense/", views.dispense, name="dispense"),
    path("receive/", views.receive, name="receive"),
    path("batches/<int:batch_id>/adjust/", views.adjust, name="adjust"),
    path("stock/", views.stock, name="stock"),
    path("prescriptions/<int:prescription_id>/print/", views.print_prescription, name="print_prescription"),
    path("dispenses/<int:dispense_id>/label/", views.dispense_label, name="dispense_label"),
]
