from django.urls import path

from inpatient import views

app_name = "inpatient"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("admit/", views.admit, name="admit"),
    path("requests/new/", views.request_bed, name="request"),
    path("requests/<int:request_id>/cancel/", views.cancel_request, name="cancel_request"),
    path("admissions/<int:admission_id>/", views.admission, name="admission"),
    path("admissions/<int:admission_id>/transfer/", views.transfer, name="transfer"),
    path("admissions/<int:admission_id>/order-discharge/", views.order_discharge, name="order_discharge"),
    path("admissions/<int:admission_id>/discharge/", views.discharge, name="discharge"),
    path("admissions/<int:admission_id>/cancel/", views.cancel, name="cancel"),
    path("beds/<int:bed_id>/status/", views.bed_status, name="bed_status"),
]
