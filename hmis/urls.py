from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ops.views import healthz, live, metrics_view, ready, system_page
from reports.home import home
from reports.views import dashboard_page

urlpatterns = [
    path("", home, name="home"),  # each role's worklist (reports/home.py)
    path("dashboard/", dashboard_page, name="dashboard"),
    path("reports/", include("reports.urls")),
    path("admin/system/", system_page, name="admin-system"),  # before the admin's catch-all
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("clinical.urls")),
    path("patients/", include("chart.urls")),
    path("billing/", include("billing.urls")),
    path("pharmacy/", include("pharmacy.urls")),
    path("inpatient/board/", include("reports.board_urls")),
    path("inpatient/", include("inpatient.urls")),
    path("scheduling/", include("scheduling.urls")),
    path("api/v1/", include("hmis.api_urls")),
    path("fhir/R4/", include("fhir_api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("healthz/live", live, name="healthz-live"),
    path("healthz/ready", ready, name="healthz-ready"),
    path("metrics", metrics_view, name="metrics"),
]

handler404 = "core.api.errors.not_found"
handler500 = "core.api.errors.server_error"
