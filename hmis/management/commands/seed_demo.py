"""Demo data for `make run`: one staff user per role (logins printed) and a few patients. Idempotent."""

import datetime
import os

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from clinical import commands as clinical
from clinical.models import Patient
from hmis.roles import ROLES, sync_roles

DEMO_PATIENTS = [
    ("Amara", "Okafor", "1984-03-12", "female"),
    ("Jonas", "Lindqvist", "1957-11-02", "male"),
    ("Priya", "Raman", "1992-07-23", "female"),
    ("Mateo", "Fernandez", "2015-01-30", "male"),
    ("Grace", "Mwangi", "1948-05-17", "female"),
    ("Hiroshi", "Tanaka", "1979-09-09", "male"),
    ("Fatima", "Al-Sayed", "2001-12-05", "female"),
    ("Liam", "O'Connor", "1966-04-21", "male"),
    ("Sofia", "Rossi", "1988-08-14", "female"),
    ("Kwame", "Mensah", "1973-02-28", "male"),
    ("Elena", "Petrova", "1995-06-03", "female"),
    ("Daniel", "Cohen", "1940-10-10", "male"),
]


class Command(BaseCommand):
    help = "Create demo staff users for each role and demo patients (safe to run again)."

    @transaction.atomic(using="default")
    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", "hmis-demo-2026")
        sync_roles()
        logins = []
        for role in ROLES:
            user, created = User.objects.get_or_create(
                username=role, defaults={"is_staff": True, "first_name": role.replace("_", " ").title()}
            )
            if created:
                user.set_password(password)
                user.is_superuser = role == "admin"
                user.save()
            user.groups.add(Group.objects.get(name=role))
            logins.append((role, "created" if created else "exists"))
        made = 0
        for number, (given, family, born, sex) in enumerate(DEMO_PATIENTS, start=1):
            mrn = f"DEMO{number:04d}"
            if not Patient.objects.filter(mrn=mrn).exists():
                clinical.patient_register(
                    mrn=mrn,
                    given_name=given,
                    family_name=family,
                    date_of_birth=datetime.date.fromisoformat(born),
                    sex=sex,
                )
                made += 1
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {made} new patients, {len(DEMO_PATIENTS)} in all."))
        self.stdout.write("Demo logins (user / password) at http://127.0.0.1:8000/admin/ :")
        for role, how in logins:
            self.stdout.write(f"  {role:<14} / {password}   ({how})")
