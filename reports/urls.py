from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("<slug:slug>/", views.report_page, name="report"),
]
