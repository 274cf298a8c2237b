from django.urls import path

from pharmacy import views

app_name = "pharmacy"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("prescriptions/<int:prescription_id>/dispense/", views.dispense, name="dispense"),
    path("receive/", views.receive, name="receive"),
    path("batches/<int:batch_id>/adjust/", views.adjust, name="adjust"),
]
