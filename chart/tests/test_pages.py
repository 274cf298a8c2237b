"""Front desk and clinician in a real browser: search, register, chart, encounter, vitals, diagnosis,
allergy, prescription, close — each with the form error a person would make first."""

import datetime
from decimal import Decimal

from playwright.sync_api import expect

from clinical.models import Encounter, LabResult, Patient
from pharmacy import commands as pharmacy
from pharmacy.models import OrderCheck, Prescription
from tests.support.factories.clinical import DepartmentFactory, UserFactory
from tests.support.stack import on_stack, shot

pytestmark = on_stack


def open_record(page, form: str) -> None:
    """Open one of the record panel's forms (they are folded, one per kind of entry)."""
    page.locator("#record > details > summary", has_text=form).click()


def open_tab(page, name: str) -> None:
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name=name, exact=True).click()


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
    page.get_by_label("Name, MRN, phone or birth date").fill("Mwangi")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No patient matches")).to_be_visible()
    shot(page, "patients-search")

    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Given name").fill("Grace")
    page.get_by_label("Family name").fill("Mwangi")
    page.get_by_label("Date of birth").fill((datetime.date.today() + datetime.timedelta(days=2)).isoformat())
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Date of birth cannot be in the future.")).to_be_visible()  # next to its field
    assert page.get_by_label("Family name").input_value() == "Mwangi"  # what was typed is kept
    assert not Patient.objects.using("default").exists()  # nothing half-saved
    shot(page, "patients-register-error")
    page.get_by_label("Date of birth").fill("1948-05-17")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Patient registered.")).to_be_visible()
    expect(page.get_by_role("heading", name="Mwangi, Grace")).to_be_visible()  # the chart shows what was just written
    page.get_by_role("link", name="Patients", exact=True).click()
    # results appear as you type
    page.get_by_label("Name, MRN, phone or birth date").press_sequentially("mwan", delay=50)
    expect(page.get_by_role("link", name="Mwangi, Grace")).to_be_visible()
    page.get_by_role("link", name="Mwangi, Grace").click()

    page.get_by_label("Type").select_option("outpatient")
    page.get_by_label("Department").select_option(label="Outpatients")
    page.get_by_role("button", name="Start encounter").click()
    expect(page.get_by_text("Encounter started.")).to_be_visible()

    open_record(page, "Vitals")  # the record panel's forms open one at a time
    vitals = page.get_by_role("form", name="Record vitals")
    vitals.get_by_label("Pulse (/min)").fill("400")
    vitals.get_by_role("button", name="Record vitals").click()
    errors = page.get_by_role("alert", name="Vitals were not recorded")
    expect(errors).to_contain_text("Pulse (/min): Ensure this value is less than or equal to 250.")
    expect(errors).to_be_focused()
    page.get_by_role("form", name="Record vitals").get_by_label("Pulse (/min)").fill("82")
    page.get_by_role("form", name="Record vitals").get_by_label("SpO₂ (%)").fill("97")
    page.get_by_role("form", name="Record vitals").get_by_role("button", name="Record vitals").click()
    expect(page.get_by_text("Vitals recorded.")).to_be_visible()

    open_record(page, "Diagnosis")
    diagnosis = page.get_by_role("form", name="Record a diagnosis")
    diagnosis.get_by_label("ICD-10-CM code").fill("ZZ9.9")
    diagnosis.get_by_role("button", name="Record diagnosis").click()
    expect(page.locator("#diagnosis-errors")).to_contain_text("'ZZ9.9' is not an ICD-10-CM code.")
    page.get_by_role("form", name="Record a diagnosis").get_by_label("ICD-10-CM code").fill("I10")
    page.get_by_role("form", name="Record a diagnosis").get_by_label("Primary diagnosis").check()
    page.get_by_role("form", name="Record a diagnosis").get_by_role("button", name="Record diagnosis").click()
    expect(page.get_by_role("region", name="Active problems")).to_contain_text("I10 Essential (primary) hypertension")

    open_tab(page, "Problems and allergies")
    allergies = page.get_by_role("region", name="Allergies")
    expect(allergies).to_contain_text("Allergy status: Not yet asked")
    allergy = page.get_by_role("form", name="Record an allergy")
    allergy.get_by_label("Allergen").select_option(label="Penicillins")
    allergy.get_by_label("Reaction").fill("rash")
    allergy.get_by_label("Severity").select_option("severe")
    allergy.get_by_role("button", name="Record allergy").click()
    expect(page.get_by_text("Allergy recorded.")).to_be_visible()
    expect(page.get_by_role("region", name="Allergies")).to_contain_text("Penicillins")

    # The story of issue 20: a Penicillin allergy, then Amoxicillin is prescribed. Stopped, with the reason
    # at the top of the form; nothing reaches the pharmacy until the prescriber overrides it with a reason.
    open_tab(page, "Summary")
    open_record(page, "Prescription")
    prescribe = page.get_by_role("form", name="Prescribe")
    prescribe.get_by_label("Drug").select_option(label="Amoxicillin 500 mg capsule")
    prescribe.get_by_label("Dose").fill("500 mg")
    prescribe.get_by_label("Frequency").fill("three times a day")
    prescribe.get_by_label("Days").fill("5")
    prescribe.get_by_label("Quantity").fill("15")
    prescribe.get_by_role("button", name="Prescribe").click()
    checks = page.get_by_role("form", name="Prescribe").get_by_role("alert", name="Safety checks")
    expect(checks).to_contain_text("Stopped by the safety checks: prescribing needs an override reason.")
    expect(checks).to_contain_text(
        "Allergy to a prescribed drug: Allergy to Penicillins (severe, rash, unconfirmed): Amoxicillin contains "
        "amoxicillin, a penicillin"
    )
    expect(page.get_by_text("Not prescribed yet: 1 safety check blocks this order.")).to_be_visible()
    expect(page.get_by_label("Override reason")).to_be_focused()  # the browser takes the prescriber there
    assert page.get_by_label("Dose").input_value() == "500 mg"  # what was typed is kept
    assert not Prescription.objects.using("default").exists()
    shot(page, "patient-chart-prescribe-blocked")
    page.get_by_role("button", name="Override and prescribe").click()  # no reason given
    expect(page.get_by_text("Give an override reason to prescribe anyway.")).to_be_visible()
    assert not Prescription.objects.using("default").exists() and not OrderCheck.objects.using("default").exists()
    page.get_by_label("Override reason").fill("Tolerated amoxicillin in 2024; allergist agreed")
    page.get_by_role("button", name="Override and prescribe").click()
    expect(page.get_by_text("Prescription sent to the pharmacy. 1 safety finding(s) recorded with it.")).to_be_visible()
    check = OrderCheck.objects.using("default").get()
    assert (check.rule, check.action, check.stage) == ("allergy_drug", "block", "prescribing")
    assert check.override_reason == "Tolerated amoxicillin in 2024; allergist agreed"
    assert check.decided_by.username == "dr"
    medications = page.get_by_role("region", name="Current medications")
    expect(medications).to_contain_text("Amoxicillin 500 mg capsule — 500 mg three times a day")
    expect(medications).to_contain_text("prescribed, not yet dispensed")
    shot(page, "patient-chart")

    page.get_by_role("link", name="Close this encounter…").click()  # a confirmation step first
    expect(page.get_by_role("heading", name="Close this encounter?")).to_be_visible()
    assert Encounter.objects.using("default").get().status == "open"
    page.get_by_role("button", name="Close encounter").click()
    expect(page.get_by_text("Encounter closed.")).to_be_visible()
    assert Encounter.objects.using("default").get().status == "closed"
    assert Prescription.objects.using("default").get().quantity == 15


def test_clinician_sees_alerts_with_reasons_and_records_a_lab_result_on_the_chart(browse):
    from clinical import commands as clinical
    from reports.engine import refresh
    from tests.support.factories.clinical import PatientFactory
    from tests.support.stack import wait_replayed

    doctor = UserFactory(username="drcds", first_name="Ada", last_name="Okoro", roles=["clinician"])
    patient = PatientFactory(given_name="Jonas", family_name="Lindqvist")
    encounter = clinical.encounter_start(
        patient_id=patient.pk, type="inpatient", department_id=DepartmentFactory().pk, attending_id=doctor.pk
    )
    clinical.diagnosis_record(encounter_id=encounter.pk, code="E11.9")
    clinical.allergy_record(patient_id=patient.pk, substance="aspirin", severity="moderate", reaction="wheeze")
    for code, name in (("WARF", "Warfarin"), ("ASA", "Aspirin")):
        drug = pharmacy.drug_create(
            code=code, generic_name=name, form="tablet", strength="5 mg", unit="tablet",
            unit_price=Decimal("0.10"), ingredients=[name.lower()],
        )  # fmt: skip
        pharmacy.prescription_create(
            encounter_id=encounter.pk, drug_id=drug.pk, dose="1", frequency="daily", duration_days=14,
            quantity=14, prescriber=doctor, override_reason="for the test",
        )  # fmt: skip
    clinical.vitals_record(encounter_id=encounter.pk, spo2=87, systolic=150, diastolic=90)
    refresh.refresh("patient_alerts", force=True)

    page = browse("drcds")
    page.goto(f"/patients/{patient.pk}/")
    alerts = page.get_by_role("region", name="Alerts")
    expect(alerts).to_contain_text(
        "Allergy to a prescribed drug: Allergy to Aspirin (moderate, wheeze, unconfirmed): Aspirin contains aspirin"
    )
    expect(alerts).to_contain_text("Drug interaction: Warfarin with Aspirin (warfarin + aspirin): bleeding risk")
    expect(alerts).to_contain_text("Abnormal vital sign: SpO₂ 87 % (below 90 %)")
    expect(alerts).to_contain_text("Care gap: HbA1c overdue: Diabetes and no HbA1c on record")
    expect(alerts).to_contain_text("Guideline: ADA Standards of Care, glycemic goals")
    expect(alerts.get_by_role("status")).to_contain_text("As of")
    assert alerts.locator(".badge.sev-high").count() == 3

    open_record(page, "Lab result")
    form = page.get_by_role("form", name="Record a lab result")
    form.get_by_label("Test").select_option(label="Potassium (2823-3)")
    form.get_by_role("spinbutton", name="Result").fill("6.9")
    form.get_by_label("Unit").fill("mg/dL")
    form.get_by_role("button", name="Record lab result").click()
    expect(page.locator("#lab-errors")).to_contain_text(
        "Potassium is recorded in mmol/L; convert the result before recording it."
    )
    assert not LabResult.objects.using("default").exists()
    shot(page, "patient-chart-lab-error")
    form = page.get_by_role("form", name="Record a lab result")
    assert form.get_by_role("spinbutton", name="Result").input_value() == "6.9"  # what was typed is kept
    form.get_by_label("Unit").fill("")
    form.get_by_role("button", name="Record lab result").click()
    expect(page.get_by_text("Lab result recorded.")).to_be_visible()
    labs = page.get_by_role("region", name="Lab results")
    expect(labs).to_contain_text("Potassium")
    expect(labs).to_contain_text("Critically high")
    expect(labs).to_contain_text("3.5-5.1")

    refresh.refresh("patient_alerts", force=True)  # what the worker does after the commit
    wait_replayed()
    page.reload()
    expect(page.get_by_role("region", name="Alerts")).to_contain_text("Critical lab result: Potassium 6.9 mmol/L")
    shot(page, "patient-chart-alerts")


def test_front_desk_finds_a_patient_is_warned_of_a_duplicate_and_corrects_details(browse):
    from clinical import commands as clinical
    from reports.engine import refresh
    from tests.support.stack import wait_replayed

    UserFactory(username="desk", first_name="Sam", last_name="Desk", roles=["front_desk"])
    UserFactory(username="drpcp", first_name="Jane", last_name="Goodall", roles=["clinician"])
    born = datetime.date(1980, 3, 4)
    daniel = clinical.patient_register(
        given_name="Daniel", family_name="Cohen", date_of_birth=born, phone="+1 555 010 2233", postal_code="62704"
    )
    clinical.patient_register(given_name="Dana", family_name="Cohen", date_of_birth=datetime.date(1975, 11, 30))
    refresh.refresh("patient_view")
    wait_replayed()
    page = browse("desk")

    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Name, MRN, phone or birth date").fill("cohen, dan")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Cohen, Dana")).to_be_visible()
    expect(page.get_by_role("link", name="Cohen, Daniel")).to_be_visible()
    page.get_by_label("Name, MRN, phone or birth date").fill("04/03/1980")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Cohen, Daniel")).to_be_visible()
    expect(page.get_by_role("link", name="Cohen, Dana")).to_have_count(0)
    shot(page, "patients-search-birth-date")

    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Given name").fill("Danial")
    page.get_by_label("Family name").fill("Cohen")
    page.get_by_label("Date of birth").fill("1980-03-04")
    page.get_by_label("Sex").select_option("male")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="This person may be registered already")).to_be_visible()
    shot(page, "patients-register-duplicate")
    assert Patient.objects.using("default").count() == 2
    page.get_by_role("link", name="Cohen, Daniel").click()

    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Address", exact=True).fill("12 Elm St")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("Primary care provider").select_option(label="Jane Goodall")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Details saved.")).to_be_visible()
    expect(page.get_by_label("Patient")).to_contain_text("Primary care: Jane Goodall")
    shot(page, "patient-chart-banner")
    daniel.refresh_from_db(using="default")
    assert (daniel.address_line1, daniel.city) == ("12 Elm St", "Springfield")
