from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("lookup/<slug:kind>/", views.lookup, name="lookup"),  # before the reports' own slugs
    path("<slug:slug>/", views.report_page, name="report"),
]
