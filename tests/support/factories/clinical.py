import datetime

import factory

from clinical.models import Department, Encounter, Patient
from tests.support.factories.users import UserFactory


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Sequence(lambda n: f"Department {n}")


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"T{n:07d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1980, 5, 17)
    sex = Patient.Sex.FEMALE


class EncounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Encounter

    patient = factory.SubFactory(PatientFactory)
    type = Encounter.Type.OUTPATIENT
    department = factory.SubFactory(DepartmentFactory)
    attending = factory.SubFactory(UserFactory)
