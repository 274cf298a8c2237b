"""Everyday words for diagnoses, mapped to ICD-10-CM codes: what the diagnosis picker offers when a clinician
types "heart attack" or "UTI" rather than a code or the list's wording.

A curated list kept with the code (like clinical/allergens.py), not hospital data. Each entry is the words
people use (lay terms, common abbreviations and the usual clinical short names) and the billable codes they
most often mean, the likeliest first. `clinical/tests/test_diagnosis_search.py` checks that every code is on
the ICD-10-CM list and billable. To add a term: add a row, keep codes billable, run that test.

Matching (`lay_codes`): a term matches a query that is the term, the start of the term (four letters or
more: "heart att"), or that contains the term as whole words ("acute heart attack"). Terms of three
letters or fewer (UTI, MI, AF) match only when typed whole.
"""

import re

# (terms, codes): the codes in the order they are offered.
TERMS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("heart attack", "myocardial infarction", "mi", "stemi", "nstemi"), ("I21.9", "I21.4", "I21.3")),
    (("stroke", "cva", "brain attack"), ("I63.9", "I61.9")),
    (("mini stroke", "tia", "transient ischaemic attack"), ("G45.9",)),
    (("high blood pressure", "hypertension", "hbp", "raised blood pressure"), ("I10",)),
    (("low blood pressure", "hypotension"), ("I95.9",)),
    (("sugar", "diabetes", "sugar diabetes", "type 2 diabetes", "t2dm", "dm"), ("E11.9", "E11.65", "E10.9")),
    (("type 1 diabetes", "t1dm"), ("E10.9",)),
    (("high sugar", "high blood sugar", "hyperglycaemia"), ("R73.9", "E11.65")),
    (("flu", "influenza"), ("J11.1", "J10.1", "J11.00")),
    (("chest infection", "lower respiratory infection", "lrti"), ("J22", "J20.9", "J18.9")),
    (("pneumonia",), ("J18.9",)),
    (("bronchitis",), ("J20.9",)),
    (
        ("uti", "urine infection", "urinary infection", "water infection", "bladder infection", "cystitis"),
        ("N39.0", "N30.00"),
    ),
    (("cold", "common cold", "runny nose"), ("J00",)),
    (("upper respiratory infection", "urti"), ("J06.9",)),
    (("sore throat", "pharyngitis"), ("J02.9",)),
    (("tonsillitis",), ("J03.90",)),
    (("cough",), ("R05.9",)),
    (("asthma",), ("J45.909",)),
    (("copd", "emphysema", "chronic bronchitis"), ("J44.9", "J43.9")),
    (("heart failure", "chf", "weak heart"), ("I50.9",)),
    (("irregular heartbeat", "atrial fibrillation", "af", "afib"), ("I48.91",)),
    (("chest pain",), ("R07.9",)),
    (("angina",), ("I20.9",)),
    (("high cholesterol", "cholesterol", "hyperlipidaemia"), ("E78.5", "E78.00")),
    (("back pain", "low back pain", "lower back pain", "lumbago"), ("M54.50", "M54.9")),
    (("headache",), ("R51.9",)),
    (("migraine",), ("G43.909",)),
    (("fever", "temperature", "pyrexia"), ("R50.9",)),
    (("diarrhoea", "diarrhea", "loose stools"), ("R19.7",)),
    (("gastro", "stomach bug", "gastroenteritis", "tummy bug"), ("A09", "K52.9")),
    (("stomach ache", "tummy ache", "abdominal pain", "belly pain"), ("R10.9",)),
    (("vomiting", "nausea and vomiting", "being sick"), ("R11.2",)),
    (("heartburn", "reflux", "acid reflux", "gerd", "gord"), ("K21.9",)),
    (("gastritis",), ("K29.70",)),
    (("kidney stone", "kidney stones", "renal stone"), ("N20.0",)),
    (("kidney disease", "ckd", "chronic kidney disease"), ("N18.9",)),
    (("kidney failure", "aki", "acute kidney injury"), ("N17.9", "N18.9")),
    (("anaemia", "anemia", "low blood", "low iron"), ("D64.9",)),
    (("depression", "low mood"), ("F32.A", "F32.9")),
    (("anxiety", "nerves"), ("F41.9",)),
    (("broken hip", "hip fracture", "fractured hip"), ("S72.001A",)),
    (("sprained ankle", "ankle sprain", "twisted ankle"), ("S93.401A",)),
    (("obesity", "obese"), ("E66.9",)),
    (("overweight",), ("E66.3",)),
    (("underactive thyroid", "hypothyroidism", "low thyroid"), ("E03.9",)),
    (("overactive thyroid", "hyperthyroidism"), ("E05.90",)),
    (("epilepsy",), ("G40.909",)),
    (("fits", "fit", "seizure", "seizures", "convulsions"), ("R56.9", "G40.909")),
    (("dementia",), ("F03.90",)),
    (("dizziness", "dizzy", "giddiness", "vertigo"), ("R42",)),
    (("pink eye", "conjunctivitis"), ("H10.9",)),
    (("ear infection", "otitis media"), ("H66.90",)),
    (("chickenpox", "chicken pox"), ("B01.9",)),
    (("shingles",), ("B02.9",)),
    (("gout",), ("M10.9",)),
    (("arthritis", "osteoarthritis", "wear and tear"), ("M19.90",)),
    (("dehydration", "dehydrated"), ("E86.0",)),
    (("covid", "covid-19", "coronavirus"), ("U07.1",)),
    (("blood clot in the leg", "blood clot in leg", "dvt", "deep vein thrombosis"), ("I82.409",)),
    (("blood clot in the lung", "pulmonary embolism", "pe"), ("I26.99",)),
    (("appendicitis",), ("K37",)),
    (("constipation",), ("K59.00",)),
    (("cellulitis", "skin infection"), ("L03.90",)),
    (("hay fever", "allergic rhinitis"), ("J30.9",)),
    (("enlarged prostate", "bph"), ("N40.0",)),
    (("alcoholism", "alcohol dependence"), ("F10.20",)),
)

_SHORT = 3  # terms this long or shorter (abbreviations) match only when typed whole
_PREFIX = 4  # the start of a term matches from this many letters on ("hear" -> heart attack, heartburn)


def fold(text: str) -> str:
    """'  Heart-Attack! ' -> 'heart attack': lower case, words of letters and digits, one space apart."""
    return " ".join(re.findall(r"[a-z0-9]+", (text or "").lower()))


def _matches(query: str, term: str) -> bool:
    if query == term:
        return True
    if len(term) <= _SHORT:
        return False
    if len(query) >= _PREFIX and term.startswith(query):
        return True
    return f" {term} " in f" {query} "


_FOLDED = tuple((tuple(fold(t) for t in terms), codes) for terms, codes in TERMS)


def lay_codes(query: str) -> list[str]:
    """The codes the everyday words in `query` stand for, the likeliest first (empty when none match)."""
    query = fold(query)
    found: list[str] = []
    if not query:
        return found
    exact = [codes for terms, codes in _FOLDED if query in terms]  # a term typed whole comes first
    partial = [codes for terms, codes in _FOLDED if query not in terms and any(_matches(query, t) for t in terms)]
    for codes in (*exact, *partial):
        found.extend(code for code in codes if code not in found)
    return found


def terms_for(code: str) -> list[str]:
    """The everyday words for a code (for showing why a suggestion was offered)."""
    return [term for terms, codes in TERMS if code in codes for term in terms]
