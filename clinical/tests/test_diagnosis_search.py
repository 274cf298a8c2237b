"""The diagnosis picker: everyday words, ranking, the box (no length cap, a picked suggestion stands for its
code), its JSON, and categories refused wherever a diagnosis is recorded."""

import pytest

from clinical import commands, queries
from clinical.diagnosis_terms import TERMS, fold, lay_codes
from clinical.forms import ConditionForm, DiagnosisForm
from clinical.models import Condition, Diagnosis, Icd10Code
from core.errors import InvalidInput
from tests.support.factories.clinical import EncounterFactory, PatientFactory, UserFactory


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("heart attack", "I21.9"),
        ("Heart-Attack!", "I21.9"),
        ("heart att", "I21.9"),  # the start of a term, as typed
        ("acute heart attack", "I21.9"),  # a term inside what was typed
        ("UTI", "N39.0"),
        ("water infection", "N39.0"),
        ("stroke", "I63.9"),
        ("high blood pressure", "I10"),
        ("sugar", "E11.9"),
        ("diabetes", "E11.9"),
        ("flu", "J11.1"),
        ("chest infection", "J22"),
        ("covid-19", "U07.1"),
    ],
)
def test_everyday_words_stand_for_their_codes(typed, first):
    assert lay_codes(typed)[0] == first


def test_short_abbreviations_match_only_whole_and_unknown_words_match_nothing():
    assert lay_codes("ut") == [] and lay_codes("u") == []
    assert lay_codes("mi") == ["I21.9", "I21.4", "I21.3"]
    assert lay_codes("zebra") == [] and lay_codes("  ") == []
    assert fold("  Blood-Clot in the LEG ") == "blood clot in the leg"


def test_a_term_typed_whole_comes_before_terms_it_starts():
    # "diabetes" is a term itself, and the start of "diabetes insipidus"-like longer terms: its own codes first
    assert lay_codes("type 1 diabetes")[0] == "E10.9"
    assert lay_codes("kidney failure")[:2] == ["N17.9", "N18.9"]


@pytest.mark.django_db
def test_every_listed_code_is_on_the_icd10_list_and_billable():
    codes = {code for _, listed in TERMS for code in listed}
    billable = set(Icd10Code.objects.filter(code__in=codes, billable=True).values_list("code", flat=True))
    assert codes - billable == set()
    assert len(TERMS) >= 40


def _codes(q, limit=10):
    return [r["code"] for r in queries.diagnosis_suggestions(q=q, limit=limit)]


@pytest.fixture
def usage(monkeypatch):
    """Set how the hospital's codes rank by use (the read side's registration, replaced for a test)."""

    def use(*codes):
        monkeypatch.setattr(queries, "_code_usage", [lambda: list(codes)])

    use()
    return use


@pytest.mark.django_db
def test_words_rank_the_usual_code_first_not_the_code_order(usage):
    assert _codes("pneumonia")[0] == "J18.9"  # not A01.03 Typhoid pneumonia
    assert "A01.03" not in _codes("pneumonia", 5)
    assert _codes("hypertension")[0] == "I10"  # before ocular hypertension (H40.05x)
    assert _codes("hypertensi")[0] == "I10"  # no length cap, and a word's start matches
    assert _codes("heart attack")[:3] == ["I21.9", "I21.4", "I21.3"]
    assert _codes("UTI")[0] == "N39.0"


@pytest.mark.django_db
def test_billable_codes_come_before_categories_and_codes_by_prefix(usage):
    found = queries.diagnosis_suggestions(q="J18", limit=10)
    assert [r["code"] for r in found] == ["J18.0", "J18.1", "J18.2", "J18.8", "J18.9", "J18"]
    assert [r["billable"] for r in found] == [True] * 5 + [False]
    assert _codes("e11.9") == ["E11.9"]
    # a picked suggestion, sent back as the box reads, is its code
    assert _codes("I21.9 Acute myocardial infarction, unspecified") == ["I21.9"]


@pytest.mark.django_db
def test_the_hospitals_most_used_codes_come_before_relevance(usage):
    usage("J15.9", "J18.1")  # this hospital diagnoses bacterial pneumonia most, then lobar
    assert _codes("pneumonia")[:3] == ["J15.9", "J18.1", "J18.9"]
    found = queries.diagnosis_suggestions(q="pneumonia", limit=3)
    assert [r["used"] for r in found] == [True, True, False]
    # still billable first: a used category does not jump ahead
    usage("J18")
    assert _codes("J18")[0] == "J18.0"


@pytest.mark.django_db
def test_search_answers_when_the_usage_ranking_fails(monkeypatch):
    def broken():
        raise ConnectionError("standby gone")

    monkeypatch.setattr(queries, "_code_usage", [broken])
    assert _codes("pneumonia")[0] == "J18.9"


def test_the_box_has_no_length_cap_and_is_an_accessible_combobox():
    html = str(DiagnosisForm()["code"])
    assert "maxlength" not in html
    assert 'role="combobox"' in html and 'aria-autocomplete="list"' in html and 'aria-expanded="false"' in html
    assert 'data-combobox="/patients/icd10/"' in html and ' list="' not in html  # no datalist


@pytest.mark.parametrize(
    ("typed", "code"),
    [("I21.9 Acute myocardial infarction, unspecified", "I21.9"), ("e119", "e119"), ("J18", "J18")],
)
def test_a_picked_suggestion_stands_for_its_code(typed, code):
    form = DiagnosisForm({"code": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["code"] == code


def test_words_not_picked_are_a_form_error_not_a_lookup():
    form = ConditionForm({"problem-code": "heart attack"}, prefix="problem")
    assert not form.is_valid()
    assert form.errors["code"] == ["Pick a diagnosis from the suggestions, or type its code (e.g. I21.9)."]


@pytest.mark.django_db
def test_the_picker_json_ranks_and_marks_categories(client, usage):
    client.force_login(UserFactory(roles=["clinician"]))
    found = client.get("/patients/icd10/", {"q": "heart attack"}).json()["results"]
    assert found[0]["code"] == "I21.9"
    assert found[0]["value"] == "I21.9 Acute myocardial infarction, unspecified"
    assert found[0]["disabled"] is False and "heart attack" in found[0]["detail"]
    category = client.get("/patients/icd10/", {"q": "J18"}).json()["results"][-1]
    assert (category["code"], category["disabled"]) == ("J18", True)
    assert client.get("/patients/icd10/", {"q": ""}).json() == {"results": []}


@pytest.mark.django_db
def test_the_picker_json_is_for_people_who_see_patients(client):
    client.force_login(UserFactory(roles=["report_viewer"]))  # sees no patients
    assert client.get("/patients/icd10/", {"q": "flu"}).status_code == 403


@pytest.mark.django_db
def test_a_category_is_refused_when_a_diagnosis_is_corrected_and_nothing_changes():
    encounter = EncounterFactory()
    diagnosis = commands.diagnosis_record(encounter_id=encounter.pk, code="J18.9")
    with pytest.raises(InvalidInput) as caught:
        commands.diagnosis_update(diagnosis_id=diagnosis.pk, code="J18")
    assert "is a category, not a billable code" in caught.value.errors["code"][0]
    diagnosis.refresh_from_db()
    assert diagnosis.code_id == "J18.9"
    assert list(Condition.objects.values_list("code_id", flat=True)) == ["J18.9"]


@pytest.mark.django_db
def test_the_api_refuses_a_category_on_the_code_field_and_writes_nothing(api_as):
    api = api_as("clinician")
    encounter = EncounterFactory(patient=PatientFactory())
    response = api.post("/api/v1/diagnoses/", {"encounter": encounter.pk, "code": "J18"}, format="json")
    assert response.status_code == 400
    assert "is a category, not a billable code" in response.json()["errors"]["code"][0]
    problem = api.post("/api/v1/conditions/", {"patient": encounter.patient_id, "code": "I21"}, format="json")
    assert problem.status_code == 400 and "I21.9" in problem.json()["errors"]["code"][0]
    assert not Diagnosis.objects.exists() and not Condition.objects.exists()
