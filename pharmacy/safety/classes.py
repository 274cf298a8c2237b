"""Drug classes: which ingredients belong to which class, and which classes cross-react.

Where the groupings come from: the WHO ATC classification (the ATC group of each class is given), which
groups by therapeutic and chemical class. ATC is not an allergy classification, so each class says on its
own how an allergy spreads through it (`allergy`), following the usual hospital practice:

- `CLASS`: an allergy to one member is an allergy to all (penicillins share the beta-lactam ring and
  side chains; NSAID hypersensitivity, aspirin included, follows COX-1 inhibition; ACE-inhibitor
  angioedema is a class effect; iodinated contrast reactions recur across agents): a block.
- `WARN`: members may cross-react, not reliably (cephalosporins by side chain; opioids, statins,
  benzodiazepines, PPIs): a warning for the other members.
- `NONE`: the class is pharmacological, not immunological (anticoagulants, biguanides): an allergy stays
  with its ingredient.

`duplicate`: two current drugs of the class are duplicate therapy (a warning).

`CROSS_SENSITIVITIES`: between classes, always a warning, never a block (penicillin to cephalosporin and
carbapenem: about 1-2 % and under 1 % in the studies behind the UK and US guidance, BSACI 2022 and the
AAAAI/ACAAI 2022 practice parameter). Sulfonamide antibiotics are *not* linked to non-antibiotic
sulfonamides (furosemide, thiazides, sulfonylureas): the evidence (Strom, NEJM 2003) shows no
cross-reactivity, and a warning nobody should act on teaches people to click warnings away.

Ingredients are named as on `Drug.ingredients` (lower case, International Non-proprietary Names);
`SYNONYMS` turn the other names people type into those (drug_create keeps them so). The allergen list
(clinical/allergens.py) names these class codes; a test checks the two agree.

The safety checks (pharmacy/safety/engine.py) and the patient-alerts view are built from these tables:
changing them = a projection migration (`manage.py makeprojectionmigration`).
"""

from dataclasses import dataclass

CLASS, WARN, NONE = "class", "warn", "none"


@dataclass(frozen=True)
class DrugClass:
    code: str
    name: str  # plural, as in "two penicillins"
    member: str  # singular, as in "a penicillin"
    atc: str
    allergy: str  # CLASS, WARN or NONE (see the module's docstring)
    duplicate: bool
    ingredients: tuple[str, ...]


CLASSES: tuple[DrugClass, ...] = (
    DrugClass(
        "penicillins",
        "penicillins",
        "a penicillin",
        "J01C",
        CLASS,
        True,
        ("amoxicillin", "ampicillin", "benzylpenicillin", "flucloxacillin", "phenoxymethylpenicillin", "piperacillin"),
    ),
    DrugClass(
        "cephalosporins",
        "cephalosporins",
        "a cephalosporin",
        "J01DB-J01DE, J01DI",
        WARN,
        True,
        (
            "cefaclor",
            "cefalexin",
            "cefazolin",
            "cefepime",
            "cefixime",
            "cefotaxime",
            "ceftazidime",
            "ceftriaxone",
            "cefuroxime",
        ),
    ),
    DrugClass(
        "carbapenems", "carbapenems", "a carbapenem", "J01DH", CLASS, True, ("ertapenem", "imipenem", "meropenem")
    ),
    DrugClass(
        "sulfonamide-antibiotics",
        "sulfonamide antibiotics",
        "a sulfonamide antibiotic",
        "J01EB-J01ED",
        CLASS,
        True,
        ("sulfadiazine", "sulfamethoxazole"),
    ),
    DrugClass(
        "macrolides",
        "macrolides",
        "a macrolide",
        "J01FA",
        CLASS,
        True,
        ("azithromycin", "clarithromycin", "erythromycin"),
    ),
    DrugClass(
        "fluoroquinolones",
        "fluoroquinolones",
        "a fluoroquinolone",
        "J01MA",
        CLASS,
        True,
        ("ciprofloxacin", "levofloxacin", "moxifloxacin", "ofloxacin"),
    ),
    DrugClass(
        "tetracyclines",
        "tetracyclines",
        "a tetracycline",
        "J01AA",
        CLASS,
        True,
        ("doxycycline", "minocycline", "tetracycline"),
    ),
    DrugClass(
        "nsaids",
        "NSAIDs",
        "an NSAID",
        "M01A, N02BA01",
        CLASS,
        True,
        (
            "aspirin",
            "celecoxib",
            "diclofenac",
            "ibuprofen",
            "indometacin",
            "ketorolac",
            "mefenamic acid",
            "meloxicam",
            "naproxen",
        ),
    ),
    DrugClass(
        "opioids",
        "opioids",
        "an opioid",
        "N02A, R05DA04",
        WARN,
        True,
        (
            "buprenorphine",
            "codeine",
            "dihydrocodeine",
            "fentanyl",
            "hydromorphone",
            "morphine",
            "oxycodone",
            "pethidine",
            "tramadol",
        ),
    ),
    DrugClass(
        "ace-inhibitors",
        "ACE inhibitors",
        "an ACE inhibitor",
        "C09AA",
        CLASS,
        True,
        ("captopril", "enalapril", "lisinopril", "perindopril", "ramipril"),
    ),
    DrugClass(
        "statins",
        "statins",
        "a statin",
        "C10AA",
        WARN,
        True,
        ("atorvastatin", "pravastatin", "rosuvastatin", "simvastatin"),
    ),
    DrugClass(
        "anticoagulants",
        "anticoagulants",
        "an anticoagulant",
        "B01AA, B01AB, B01AE, B01AF",
        NONE,
        True,
        (
            "acenocoumarol",
            "apixaban",
            "dabigatran",
            "dalteparin",
            "edoxaban",
            "enoxaparin",
            "heparin",
            "rivaroxaban",
            "warfarin",
        ),
    ),
    # The anticoagulants monitored by INR (the care gap "anticoagulant without an INR"); DOACs and
    # heparins are not.
    DrugClass(
        "vitamin-k-antagonists",
        "vitamin K antagonists",
        "a vitamin K antagonist",
        "B01AA",
        NONE,
        False,
        ("acenocoumarol", "warfarin"),
    ),
    DrugClass(
        "benzodiazepines",
        "benzodiazepines",
        "a benzodiazepine",
        "N05BA, N05CD, N03AE",
        WARN,
        True,
        ("alprazolam", "chlordiazepoxide", "clonazepam", "diazepam", "lorazepam", "midazolam", "temazepam"),
    ),
    DrugClass(
        "iodinated-contrast",
        "iodinated contrast media",
        "an iodinated contrast medium",
        "V08A",
        CLASS,
        True,
        ("iodixanol", "iohexol", "iopamidol", "iopromide"),
    ),
    DrugClass(
        "ppis",
        "proton pump inhibitors",
        "a proton pump inhibitor",
        "A02BC",
        WARN,
        True,
        ("esomeprazole", "lansoprazole", "omeprazole", "pantoprazole"),
    ),
    DrugClass("biguanides", "biguanides", "a biguanide", "A10BA", NONE, True, ("metformin",)),
)

BY_CODE: dict[str, DrugClass] = {c.code: c for c in CLASSES}


@dataclass(frozen=True)
class CrossSensitivity:
    allergy: str  # the class the patient is allergic to (or an ingredient of it)
    drug: str  # the class of the drug prescribed
    note: str


CROSS_SENSITIVITIES: tuple[CrossSensitivity, ...] = (
    CrossSensitivity("penicillins", "cephalosporins", "about 1-2 % cross-react, more with similar side chains"),
    CrossSensitivity("penicillins", "carbapenems", "under 1 % cross-react"),
    CrossSensitivity("cephalosporins", "penicillins", "cross-reactivity follows the side chain"),
    CrossSensitivity("cephalosporins", "carbapenems", "under 1 % cross-react"),
    CrossSensitivity("carbapenems", "penicillins", "under 1 % cross-react"),
    CrossSensitivity("carbapenems", "cephalosporins", "under 1 % cross-react"),
)

# Other names for ingredients, as typed on the formulary -> the INN on Drug.ingredients.
SYNONYMS: dict[str, str] = {
    "amoxycillin": "amoxicillin",
    "cephalexin": "cefalexin",
    "cephazolin": "cefazolin",
    "penicillin g": "benzylpenicillin",
    "penicillin v": "phenoxymethylpenicillin",
    "sulphamethoxazole": "sulfamethoxazole",
    "sulphadiazine": "sulfadiazine",
    "acetylsalicylic acid": "aspirin",
    "indomethacin": "indometacin",
    "meperidine": "pethidine",
    "acetaminophen": "paracetamol",
    "dabigatran etexilate": "dabigatran",
    "succinylcholine": "suxamethonium",
}


def canonical(ingredient: str) -> str:
    """An ingredient as the tables name it: lower case, single spaces, synonyms resolved."""
    name = " ".join(ingredient.strip().lower().split())
    return SYNONYMS.get(name, name)


def classes_of(ingredient: str) -> list[DrugClass]:
    return [c for c in CLASSES if ingredient in c.ingredients]
