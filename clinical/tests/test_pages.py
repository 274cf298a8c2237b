"""Front desk and clinician in a real browser: search, register, chart, encounter, vitals, diagnosis,
allergy, prescription, close — each with the form error a person would make first."""

import datetime
from decimal import Decimal

from playwright.sync_api import expect

from clinical.models import Encounter, Patient
from clinical.tests.factories import DepartmentFactory, UserFactory
from hmis.testing import on_stack, shot
from pharmacy import commands as pharmacy
from pharmacy.models import Prescription

pytestmark = on_stack


def test_front_desk_and_clinician_day(browse):
    UserFactory(username="dr", first_name="Ada", last_name="Okoro", roles=["clinician"])
    DepartmentFactory(code="OPD", name="Outpatients")
    pharmacy.drug_create(
        code="AMOX",
        generic_name="Amoxicillin",
        form="capsule",
        strength="500 mg",
        unit="capsule",
        unit_price=Decimal("0.80"),
        ingredients=["amoxicillin"],
    )
    page = browse("dr")

    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Name or MRN").fill("Mwangi")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_text("No patient matches").is_visible()
    shot(page, "patients-search")

    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Given name").fill("Grace")
    page.get_by_label("Family name").fill("Mwangi")
    page.get_by_label("Date of birth").fill((datetime.date.today() + datetime.timedelta(days=2)).isoformat())
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Register").click()
    assert page.get_by_text("Date of birth cannot be in the future.").is_visible()  # next to its field
    assert page.get_by_label("Family name").input_value() == "Mwangi"  # what was typed is kept
    assert not Patient.objects.using("default").exists()  # nothing half-saved
    shot(page, "patients-register-error")
    page.get_by_label("Date of birth").fill("1948-05-17")
    page.get_by_role("button", name="Register").click()
    assert page.get_by_text("Patient registered.").is_visible()
    assert page.get_by_role("heading", name="Mwangi, Grace").is_visible()  # the chart shows what was just written
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Name or MRN").press_sequentially("mwan", delay=50)  # results appear as you type
    expect(page.get_by_role("link", name="Mwangi, Grace")).to_be_visible()
    page.get_by_role("link", name="Mwangi, Grace").click()

    page.get_by_label("Type").select_option("outpatient")
    page.get_by_label("Department").select_option(label="Outpatients")
    page.get_by_role("button", name="Start encounter").click()
    assert page.get_by_text("Encounter started.").is_visible()

    vitals = page.get_by_role("form", name="Record vitals")
    vitals.get_by_label("Pulse (/min)").fill("400")
    vitals.get_by_role("button", name="Record vitals").click()
    assert page.get_by_text("Ensure this value is less than or equal to 250.").is_visible()
    page.get_by_role("form", name="Record vitals").get_by_label("Pulse (/min)").fill("82")
    page.get_by_role("form", name="Record vitals").get_by_label("SpO₂ (%)").fill("97")
    page.get_by_role("form", name="Record vitals").get_by_role("button", name="Record vitals").click()
    assert page.get_by_text("Vitals recorded.").is_visible()

    diagnosis = page.get_by_role("form", name="Record a diagnosis")
    diagnosis.get_by_label("ICD-10-CM code").fill("ZZ9.9")
    diagnosis.get_by_role("button", name="Record diagnosis").click()
    assert page.get_by_text("'ZZ9.9' is not an ICD-10-CM code.").is_visible()
    page.get_by_role("form", name="Record a diagnosis").get_by_label("ICD-10-CM code").fill("I10")
    page.get_by_role("form", name="Record a diagnosis").get_by_label("Primary diagnosis").check()
    page.get_by_role("form", name="Record a diagnosis").get_by_role("button", name="Record diagnosis").click()
    assert page.get_by_text("I10 Essential (primary) hypertension").is_visible()

    allergy = page.get_by_role("form", name="Record an allergy")
    allergy.get_by_label("Substance").fill("Penicillin")
    allergy.get_by_label("Reaction").fill("rash")
    allergy.get_by_label("Severity").select_option("severe")
    allergy.get_by_role("button", name="Record allergy").click()
    assert page.get_by_text("Allergy recorded.").is_visible()

    prescribe = page.get_by_role("form", name="Prescribe")
    prescribe.get_by_label("Drug").select_option(label="Amoxicillin 500 mg capsule")
    prescribe.get_by_label("Dose").fill("500 mg")
    prescribe.get_by_label("Frequency").fill("three times a day")
    prescribe.get_by_label("Days").fill("5")
    prescribe.get_by_label("Quantity").fill("15")
    prescribe.get_by_role("button", name="Prescribe").click()
    assert page.get_by_text("Prescription sent to the pharmacy.").is_visible()
    shot(page, "patient-chart")

    page.get_by_role("button", name="Close encounter").click()
    assert page.get_by_text("Encounter closed.").is_visible()
    assert Encounter.objects.using("default").get().status == "closed"
    assert Prescription.objects.using("default").get().quantity == 15
