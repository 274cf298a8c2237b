"""CPU per request, in-process, for comparing two checkouts on a busy machine (A/B).

Wall-clock latencies (`make bench`) swing by 2x when other work shares the cores; the CPU time the Django
process itself spends on a request (time.process_time) barely moves, and the SQL a request sends can be
compared exactly (its count and a hash of its text). Runs each endpoint through Django's test client on
production settings against the generated data (`manage.py generate_data`), as a signed-in superuser.
Run it from each checkout's root with that checkout's venv, alternating, and compare the JSON lines:

    .venv/bin/python bench/cpu_per_request.py after-1 60 >> ab.jsonl
    (cd ../before && .venv/bin/python /path/to/bench/cpu_per_request.py before-1 60 >> ab.jsonl)
"""

import hashlib
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.update(
    # after the re-layering: hmis/settings/production.py; before it: one hmis/settings.py, DEBUG off = production
    DJANGO_SETTINGS_MODULE="hmis.settings.production" if os.path.isdir("hmis/settings") else "hmis.settings",
    DJANGO_DEBUG="0",
    DJANGO_SECRET_KEY="cpu-ab-" + "x" * 50,
    DJANGO_ALLOWED_HOSTS="testserver",
    LOG_LEVEL="WARNING",
)
import django

django.setup()
from django.contrib.auth.models import User  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

label, n = sys.argv[1], int(sys.argv[2])
user, _ = User.objects.using("default").get_or_create(  # the harness's own user, not the app's data
    username="cpu_ab", defaults={"is_superuser": True, "is_staff": True}
)
client = Client()
client.force_login(user)
time.sleep(2)  # the sign-in's write replays; reads go to the standby as usual
patient = connections["default"].cursor()
patient.execute("SELECT id FROM clinical_patient ORDER BY id LIMIT 1 OFFSET 500")
pid = patient.fetchone()[0]
PATHS = {
    "ar_aging_api": "/api/v1/reports/ar-aging/",
    "ar_one_patient_api": f"/api/v1/reports/ar-aging/?group_by=invoice&patient={pid}",
    "revenue_api": "/api/v1/reports/revenue/",
    "diagnoses_api": "/api/v1/reports/diagnosis-trends/",
    "dashboard_page": "/",
    "chart_page": f"/patients/{pid}/",
    "summary_api": f"/api/v1/patients/{pid}/summary/",
    "search_page": "/patients/?q=smith",
}
sql = {}


def capture(execute, statement, params, many, context):
    sql.setdefault(current, []).append(statement)
    return execute(statement, params, many, context)


out = {}
for name, path in PATHS.items():
    current = name
    for _ in range(5):  # warm
        assert (
            client.get(path, secure=True, HTTP_ACCEPT="application/json" if "api" in path else "text/html").status_code
            == 200
        ), path
    sql.pop(name, None)
    with connections["replica"].execute_wrapper(capture), connections["default"].execute_wrapper(capture):
        client.get(path, secure=True)
    cpu = []
    for _ in range(n):
        started = time.process_time()
        client.get(path, secure=True, HTTP_ACCEPT="application/json" if "api" in path else "text/html")
        cpu.append((time.process_time() - started) * 1000)
    statements = sql.get(name, [])
    out[name] = {
        "cpu_ms_median": round(statistics.median(cpu), 3),
        "cpu_ms_mean": round(statistics.fmean(cpu), 3),
        "queries": len(statements),
        "sql_sha": hashlib.sha256("\n".join(statements).encode()).hexdigest()[:10],
    }
print(json.dumps({"label": label, "n": n, "results": out}))
