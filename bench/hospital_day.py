"""A hospital day (issue 27): the locustfile. Staff of seven kinds click through their work at once.

Run by bench/hospital_day_run.py (which prepares the accounts and the plan, starts the servers and ramps
the users); by hand:

    HOSPITAL_DAY_PLAN=.stack/bench/hospital-day-plan.json locust -f bench/hospital_day.py --headless \
        -u 200 -r 20 -t 3m --host http://127.0.0.1:8785

Each simulated person is signed in with a session of their own (integrators: an API key of their own),
taken from the plan. Reads go through the staff pages (HTML) where people read; writes go through the
API with that same session (and its CSRF token), which calls the same commands as the pages' forms.
Think times are uniform between THINK_MIN and THINK_MAX seconds (median 7 s) between one step of work
and the next; a step may be a few requests (a payment is create + issue + pay).

Imports nothing of the project: locust's gevent must not meet Django in one process. Each request is
named "<persona>: <what>" (page requests "... page"), and per-persona latencies are written to
HOSPITAL_DAY_OUT at the end: only requests made once every user had started (the last started, after a
pause of up to THINK_MAX so that people do not all click in the same second).
"""

import collections
import datetime as dt
import json
import os
import random
import secrets
import time

from locust import FastHttpUser, between, events, task

# HOSPITAL_DAY_THINK="min,max" overrides them (the test suite's smoke run clicks faster).
THINK_MIN, THINK_MAX = (float(s) for s in os.environ.get("HOSPITAL_DAY_THINK", "4,10").split(","))
PLAN = json.loads(open(os.environ["HOSPITAL_DAY_PLAN"]).read()) if os.environ.get("HOSPITAL_DAY_PLAN") else {}  # noqa: SIM115
# Encounters the front desk opened during the run: clinicians close only these (the generated open
# encounters stay open for the chart reads).
OPENED: collections.deque = collections.deque(maxlen=5000)
# What the run recorded: persona -> [(is page, ms, ok)], after every user had started.
RECORDED: dict[str, list] = collections.defaultdict(list)
FAILED: list = []  # (request name, what went wrong), the first few hundred
STATE = {"started": False, "started_at": None}


@events.spawning_complete.add_listener
def _spawned(user_count, **kwargs):
    # Each person starts after a pause of up to THINK_MAX (on_start): recording starts once all have.
    STATE["started"], STATE["started_at"] = True, time.time() + THINK_MAX


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, context, **kwargs):
    if STATE["started"] and time.time() >= STATE["started_at"] and context and "persona" in context:
        RECORDED[context["persona"]].append((name.endswith(" page"), round(response_time, 2), exception is None))
        if exception is not None and len(FAILED) < 300:
            FAILED.append((name, str(exception)[:300]))


@events.quitting.add_listener
def _write(environment, **kwargs):
    out = os.environ.get("HOSPITAL_DAY_OUT")
    if out:
        with open(out, "w") as f:
            json.dump(
                {"started_at": STATE["started_at"], "stopped_at": time.time(), "recorded": RECORDED, "failed": FAILED},
                f,
            )


def _pick(name: str):
    return random.choice(PLAN[name])  # noqa: S311 (a load generator)


class Staff(FastHttpUser):
    abstract = True
    persona = ""
    wait_time = between(THINK_MIN, THINK_MAX)
    _accounts: dict[str, int] = collections.defaultdict(int)

    def on_start(self):
        accounts = PLAN["sessions"][self.persona]
        n = Staff._accounts[self.persona]
        Staff._accounts[self.persona] += 1
        self.session_cookie = accounts[n % len(accounts)]  # one each while the plan has enough
        self.csrf = secrets.token_hex(16)  # 32 characters: a CSRF secret of this person's own
        time.sleep(random.uniform(0, THINK_MAX))  # noqa: S311 (people do not all click in the same second)

    def context(self):
        return {"persona": self.persona}

    def _headers(self, accept: str) -> dict:
        return {
            "Cookie": f"{self.session_cookie}; csrftoken={self.csrf}",
            "Accept": accept,
            "X-Forwarded-Proto": "https",
        }

    def page(self, path: str, what: str):
        with self.client.get(
            path, headers=self._headers("text/html"), name=f"{self.persona}: {what} page", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    def api_get(self, path: str, what: str):
        with self.client.get(
            path, headers=self._headers("application/json"), name=f"{self.persona}: {what}", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            response.success()
            return response.json()

    def api_post(self, path: str, body: dict, what: str, expected=(200, 201, 202)):
        """A write through the API with this person's session (CSRF token and same-origin Referer as a
        browser sends them). `expected`: statuses that are the domain's answer, not a failure (409 when a
        safety check asks for a reason, say)."""
        headers = {
            **self._headers("application/json"),
            "Content-Type": "application/json",
            "X-CSRFToken": self.csrf,
            "Referer": f"https://{self.host.split('://', 1)[-1].rstrip('/')}/",
        }
        with self.client.post(
            path, data=json.dumps(body), headers=headers, name=f"{self.persona}: {what}", catch_response=True
        ) as response:
            if response.status_code not in expected:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return None
            response.success()  # an expected 4xx (409: a safety check, no stock) is the domain's answer
            return response.json() if response.status_code < 300 and response.text else None


class FrontDesk(Staff):
    """Finds patients, registers new ones, checks them in (opens an encounter)."""

    persona = "front_desk"
    weight = 3

    @task(5)
    def search(self):
        self.page(f"/patients/?q={_pick('names')}", "search")

    @task(1)
    def register(self):
        body = {
            "given_name": random.choice(("Ada", "Ben", "Cleo", "Dan", "Eve", "Finn")),  # noqa: S311
            "family_name": f"Dayvisit{secrets.token_hex(4)}",
            "date_of_birth": (dt.date(1950, 1, 1) + dt.timedelta(days=random.randrange(25000))).isoformat(),  # noqa: S311
            "sex": random.choice(("female", "male")),  # noqa: S311
        }
        self.api_post("/api/v1/patients/", body, "register", expected=(201, 409))

    @task(3)
    def check_in(self):
        patient = _pick("patients")
        self.page(f"/patients/{patient}/", "chart")
        body = {
            "patient": patient,
            "type": "outpatient",
            "department": _pick("departments"),
            "attending": _pick("clinicians"),
            "reason": "visit",
        }
        if encounter := self.api_post("/api/v1/encounters/", body, "check in"):
            OPENED.append((encounter["id"], patient))


class Nurse(Staff):
    """Charts: reads the chart, records vital signs, looks at allergies."""

    persona = "nurse"
    weight = 4

    @task(4)
    def chart(self):
        self.page(f"/patients/{_pick('patients')}/", "chart")

    @task(3)
    def vitals(self):
        encounter, patient = _pick("encounters")
        self.page(f"/patients/{patient}/", "chart")
        body = {
            "encounter": encounter,
            "pulse": random.randint(55, 110),  # noqa: S311
            "systolic": random.randint(100, 160),  # noqa: S311
            "diastolic": random.randint(60, 95),  # noqa: S311
            "temperature": "36.8",
            "spo2": random.randint(93, 100),  # noqa: S311
        }
        self.api_post("/api/v1/vitals/", body, "vitals")

    @task(1)
    def allergies(self):
        self.api_get(f"/api/v1/allergies/?patient={_pick('patients')}", "allergies")


class Clinician(Staff):
    """Sees patients: chart and alerts, diagnoses, lab results, prescribing, closing the visit."""

    persona = "clinician"
    weight = 3

    @task(4)
    def see(self):
        _, patient = _pick("encounters")
        self.page(f"/patients/{patient}/", "chart")
        self.api_get(f"/api/v1/patients/{patient}/alerts/", "alerts")

    @task(2)
    def diagnose(self):
        encounter, _ = _pick("encounters")
        self.api_post("/api/v1/diagnoses/", {"encounter": encounter, "code": _pick("icd10")}, "diagnosis")

    @task(1)
    def labs(self):
        _, patient = _pick("encounters")
        self.api_get(f"/api/v1/lab-results/?patient={patient}", "lab results")

    @task(1)
    def prescribe(self):
        encounter, _ = _pick("encounters")
        body = {
            "encounter": encounter,
            "drug": _pick("drugs"),
            "dose": "1 tablet",
            "frequency": "twice a day",
            "duration_days": 5,
            "quantity": 10,
        }
        self.api_post("/api/v1/prescriptions/", body, "prescribe", expected=(201, 409))

    @task(1)
    def close(self):
        if not OPENED:
            return
        encounter, patient = OPENED.popleft()
        self.page(f"/patients/{patient}/", "chart")
        self.api_post(f"/api/v1/encounters/{encounter}/close/", {}, "close visit", expected=(200, 409))


class Pharmacist(Staff):
    """Works the dispensing queue."""

    persona = "pharmacist"
    weight = 1

    @task(3)
    def queue(self):
        self.page("/pharmacy/", "queue")

    @task(2)
    def dispense(self):
        rx = PLAN["prescriptions"].pop() if PLAN["prescriptions"] else None  # gevent switches only on I/O
        if rx is None:
            self.page("/pharmacy/", "queue")
            return
        body = {"prescription": rx, "quantity": 1, "override_reason": "hospital day"}
        self.api_post("/api/v1/dispenses/", body, "dispense", expected=(201, 409))


class BillingClerk(Staff):
    """Bills visits and takes payments."""

    persona = "billing_clerk"
    weight = 2

    @task(2)
    def invoices(self):
        self.page("/billing/invoices/", "invoices")

    @task(3)
    def bill_and_take_payment(self):
        body = {
            "patient": _pick("patients"),
            "payer": PLAN["payer"],
            "lines": [{"service": _pick("services"), "quantity": "1"}],
        }
        invoice = self.api_post("/api/v1/invoices/", body, "invoice")
        if not invoice:
            return
        issued = self.api_post(f"/api/v1/invoices/{invoice['id']}/issue/", {}, "issue")
        if issued and float(issued["total"]) > 0:
            pay = {"invoice": invoice["id"], "amount": issued["total"], "method": "card"}
            self.api_post("/api/v1/payments/", pay, "payment")
        self.page(f"/billing/invoices/{invoice['id']}/", "invoice")


class Manager(Staff):
    """The dashboard and the reports, now and then a CSV."""

    persona = "manager"
    weight = 1

    @task(4)
    def dashboard(self):
        self.page("/", "dashboard")

    @task(2)
    def revenue(self):
        year = PLAN["year"]
        self.page(f"/reports/revenue/?start={year['start']}&end={year['end']}", "revenue report")

    @task(2)
    def diagnoses(self):
        year = PLAN["year"]
        self.page(f"/reports/diagnosis-trends/?start={year['start']}&end={year['end']}", "diagnosis trends")

    @task(1)
    def ar_aging(self):
        self.page("/reports/ar-aging/", "AR aging")

    @task(1)
    def csv(self):
        with self.client.get(
            "/reports/ar-aging/?format=csv",
            headers=self._headers("text/csv"),
            name="manager: AR aging CSV",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class Integrator(FastHttpUser):
    """Another system through the API with a key of its own: reads summaries and encounters, posts vitals."""

    persona = "integrator"
    weight = 1
    wait_time = between(THINK_MIN, THINK_MAX)
    _keys = [0]

    def on_start(self):
        keys = PLAN["api_keys"]
        self.key = keys[Integrator._keys[0] % len(keys)]
        Integrator._keys[0] += 1
        time.sleep(random.uniform(0, THINK_MAX))  # noqa: S311
        self.headers = {
            "Authorization": f"Api-Key {self.key}",
            "Accept": "application/json",
            "X-Forwarded-Proto": "https",
        }

    def context(self):
        return {"persona": self.persona}

    def _get(self, path: str, what: str):
        with self.client.get(path, headers=self.headers, name=f"integrator: {what}", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(3)
    def summary(self):
        self._get(f"/api/v1/patients/{_pick('patients')}/summary/", "patient summary")

    @task(2)
    def encounters(self):
        self._get(f"/api/v1/encounters/?patient={_pick('patients')}", "encounters")

    @task(1)
    def post_vitals(self):
        encounter, _ = _pick("encounters")
        body = json.dumps({"encounter": encounter, "pulse": random.randint(55, 110)})  # noqa: S311
        headers = {**self.headers, "Content-Type": "application/json"}
        with self.client.post(
            "/api/v1/vitals/", data=body, headers=headers, name="integrator: vitals", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}")
