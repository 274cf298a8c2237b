"""The allergen list: what an allergy is recorded against (`Allergy.allergen_code`), shipped with the code.

Three kinds of entry:
- a drug class ("class:penicillins"): an allergy to it is checked against every ingredient of the class;
- a drug ingredient ("drug:amoxicillin"): checked against that ingredient, and, for classes whose members
  cross-react (penicillins, NSAIDs ...), against the whole class;
- a non-drug allergen ("food:peanut", "env:latex"), recorded for the record and the wristband.
The class memberships and cross-sensitivities live with the formulary (pharmacy/safety/classes.py); this
list only names the class or ingredient an allergen stands for, so the clinical app needs nothing above it.

Codes: our own stable code system, `CODE_SYSTEM` below ("<kind>:<name>"), never reused or renumbered.
ATC codes (WHO Collaborating Centre for Drug Statistics Methodology) are given for drug classes and single
ingredients where the ATC index has one; SNOMED CT and RxNorm codes are deliberately not given: they were
not verified against the releases, and a wrong code is worse than none. Mapping to them is a later step.

Anything not on the list is recorded as free text: an *uncoded* allergy, shown as such, that warns at
every prescription because the checks cannot match it.

`SYNONYMS` map the spellings staff type (and the free text of records made before coding) to a code:
British and US names, brand names and the usual shorthand ("sulfa", "penicillin").
"""

from dataclasses import dataclass

CODE_SYSTEM = "urn:hmis:allergen"

DRUG, FOOD, ENVIRONMENT = "drug", "food", "environment"
CATEGORIES = ((DRUG, "Drug"), (FOOD, "Food"), (ENVIRONMENT, "Environment"))


@dataclass(frozen=True)
class Allergen:
    code: str
    name: str
    category: str
    drug_class: str = ""  # a class allergen: the class code (pharmacy/safety/classes.py)
    ingredient: str = ""  # an ingredient allergen: the ingredient as on Drug.ingredients (lower case)
    atc: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({'drug class' if self.drug_class else self.category})"


def _class(name: str, code: str, atc: str) -> Allergen:
    return Allergen(f"class:{code}", name, DRUG, drug_class=code, atc=atc)


def _drug(ingredient: str, atc: str = "") -> Allergen:
    return Allergen(
        f"drug:{ingredient.replace(' ', '-')}", ingredient.capitalize(), DRUG, ingredient=ingredient, atc=atc
    )


CLASSES = (
    _class("Penicillins", "penicillins", "J01C"),
    _class("Cephalosporins", "cephalosporins", "J01DB-J01DE, J01DI"),
    _class("Carbapenems", "carbapenems", "J01DH"),
    _class("Sulfonamide antibiotics (sulfa)", "sulfonamide-antibiotics", "J01EB-J01ED"),
    _class("Macrolides", "macrolides", "J01FA"),
    _class("Fluoroquinolones", "fluoroquinolones", "J01MA"),
    _class("Tetracyclines", "tetracyclines", "J01AA"),
    _class("NSAIDs (including aspirin)", "nsaids", "M01A, N02BA01"),
    _class("Opioids", "opioids", "N02A"),
    _class("ACE inhibitors", "ace-inhibitors", "C09AA"),
    _class("Statins", "statins", "C10AA"),
    _class("Anticoagulants", "anticoagulants", "B01AA, B01AB, B01AE, B01AF"),
    _class("Benzodiazepines", "benzodiazepines", "N05BA, N05CD, N03AE"),
    _class("Iodinated contrast media", "iodinated-contrast", "V08A"),
    _class("Proton pump inhibitors", "ppis", "A02BC"),
)

INGREDIENTS = (
    # penicillins
    _drug("amoxicillin", "J01CA04"),
    _drug("ampicillin", "J01CA01"),
    _drug("benzylpenicillin", "J01CE01"),
    _drug("phenoxymethylpenicillin", "J01CE02"),
    _drug("flucloxacillin", "J01CF05"),
    _drug("piperacillin", "J01CA12"),
    # cephalosporins
    _drug("cefalexin", "J01DB01"),
    _drug("cefazolin", "J01DB04"),
    _drug("cefuroxime", "J01DC02"),
    _drug("cefaclor", "J01DC04"),
    _drug("cefotaxime", "J01DD01"),
    _drug("ceftazidime", "J01DD02"),
    _drug("ceftriaxone", "J01DD04"),
    _drug("cefixime", "J01DD08"),
    _drug("cefepime", "J01DE01"),
    # carbapenems
    _drug("meropenem", "J01DH02"),
    _drug("ertapenem", "J01DH03"),
    _drug("imipenem"),
    # sulfonamides and trimethoprim (not a sulfonamide)
    _drug("sulfamethoxazole", "J01EC01"),
    _drug("sulfadiazine", "J01EC02"),
    _drug("trimethoprim", "J01EA01"),
    # macrolides
    _drug("erythromycin", "J01FA01"),
    _drug("clarithromycin", "J01FA09"),
    _drug("azithromycin", "J01FA10"),
    # fluoroquinolones
    _drug("ofloxacin", "J01MA01"),
    _drug("ciprofloxacin", "J01MA02"),
    _drug("levofloxacin", "J01MA12"),
    _drug("moxifloxacin", "J01MA14"),
    # tetracyclines
    _drug("doxycycline", "J01AA02"),
    _drug("tetracycline", "J01AA07"),
    _drug("minocycline", "J01AA08"),
    # other anti-infectives often named in allergy histories
    _drug("vancomycin", "J01XA01"),
    _drug("gentamicin", "J01GB03"),
    _drug("metronidazole", "J01XD01"),
    _drug("nitrofurantoin", "J01XE01"),
    _drug("clindamycin", "J01FF01"),
    # NSAIDs
    _drug("aspirin", "N02BA01"),
    _drug("ibuprofen", "M01AE01"),
    _drug("naproxen", "M01AE02"),
    _drug("diclofenac", "M01AB05"),
    _drug("indometacin", "M01AB01"),
    _drug("ketorolac", "M01AB15"),
    _drug("mefenamic acid", "M01AG01"),
    _drug("meloxicam", "M01AC06"),
    _drug("celecoxib", "M01AH01"),
    # opioids
    _drug("morphine", "N02AA01"),
    _drug("codeine", "R05DA04"),
    _drug("dihydrocodeine", "N02AA08"),
    _drug("oxycodone", "N02AA05"),
    _drug("hydromorphone", "N02AA03"),
    _drug("fentanyl", "N02AB03"),
    _drug("pethidine", "N02AB02"),
    _drug("tramadol", "N02AX02"),
    _drug("buprenorphine", "N02AE01"),
    # ACE inhibitors
    _drug("captopril", "C09AA01"),
    _drug("enalapril", "C09AA02"),
    _drug("lisinopril", "C09AA03"),
    _drug("perindopril", "C09AA04"),
    _drug("ramipril", "C09AA05"),
    # statins
    _drug("simvastatin", "C10AA01"),
    _drug("pravastatin", "C10AA03"),
    _drug("atorvastatin", "C10AA05"),
    _drug("rosuvastatin", "C10AA07"),
    # anticoagulants
    _drug("warfarin", "B01AA03"),
    _drug("acenocoumarol", "B01AA07"),
    _drug("heparin", "B01AB01"),
    _drug("dalteparin", "B01AB04"),
    _drug("enoxaparin", "B01AB05"),
    _drug("dabigatran", "B01AE07"),
    _drug("rivaroxaban", "B01AF01"),
    _drug("apixaban", "B01AF02"),
    _drug("edoxaban", "B01AF03"),
    # benzodiazepines
    _drug("diazepam", "N05BA01"),
    _drug("chlordiazepoxide", "N05BA02"),
    _drug("lorazepam", "N05BA06"),
    _drug("alprazolam", "N05BA12"),
    _drug("temazepam", "N05CD07"),
    _drug("midazolam", "N05CD08"),
    _drug("clonazepam", "N03AE01"),
    # iodinated contrast
    _drug("iohexol", "V08AB02"),
    _drug("iopamidol", "V08AB04"),
    _drug("iopromide", "V08AB05"),
    _drug("iodixanol", "V08AB09"),
    # proton pump inhibitors
    _drug("omeprazole", "A02BC01"),
    _drug("pantoprazole", "A02BC02"),
    _drug("lansoprazole", "A02BC03"),
    _drug("esomeprazole", "A02BC05"),
    # others
    _drug("paracetamol", "N02BE01"),
    _drug("metformin", "A10BA02"),
    _drug("allopurinol", "M04AA01"),
    _drug("carbamazepine", "N03AF01"),
    _drug("phenytoin", "N03AB02"),
    _drug("lamotrigine", "N03AX09"),
    _drug("chlorhexidine", "D08AC02"),
    _drug("propofol", "N01AX10"),
    _drug("suxamethonium", "M03AB01"),
    _drug("rocuronium", "M03AC09"),
)

NON_DRUG = (
    Allergen("env:latex", "Latex (natural rubber)", ENVIRONMENT),
    Allergen("env:adhesive", "Adhesive dressings and tape", ENVIRONMENT),
    Allergen("env:nickel", "Nickel", ENVIRONMENT),
    Allergen("env:bee-venom", "Bee venom", ENVIRONMENT),
    Allergen("env:wasp-venom", "Wasp venom", ENVIRONMENT),
    Allergen("env:house-dust-mite", "House dust mite", ENVIRONMENT),
    Allergen("env:grass-pollen", "Grass pollen", ENVIRONMENT),
    Allergen("env:tree-pollen", "Tree pollen", ENVIRONMENT),
    Allergen("env:cat-dander", "Cat dander", ENVIRONMENT),
    Allergen("env:dog-dander", "Dog dander", ENVIRONMENT),
    Allergen("env:mould", "Mould", ENVIRONMENT),
    Allergen("food:peanut", "Peanut", FOOD),
    Allergen("food:tree-nuts", "Tree nuts", FOOD),
    Allergen("food:shellfish", "Shellfish (crustaceans and molluscs)", FOOD),
    Allergen("food:fish", "Fish", FOOD),
    Allergen("food:egg", "Egg", FOOD),
    Allergen("food:cows-milk", "Cow's milk", FOOD),
    Allergen("food:soy", "Soy", FOOD),
    Allergen("food:wheat", "Wheat", FOOD),
    Allergen("food:sesame", "Sesame", FOOD),
    Allergen("food:gelatin", "Gelatin", FOOD),
)

ALLERGENS: dict[str, Allergen] = {a.code: a for a in (*CLASSES, *INGREDIENTS, *NON_DRUG)}

# What staff type (and what records made before coding said), lower case -> allergen code.
SYNONYMS: dict[str, str] = {
    "penicillin": "class:penicillins",
    "penicillins": "class:penicillins",
    "pcn": "class:penicillins",
    "penicillin g": "drug:benzylpenicillin",
    "penicillin v": "drug:phenoxymethylpenicillin",
    "amoxycillin": "drug:amoxicillin",
    "augmentin": "drug:amoxicillin",
    "co-amoxiclav": "drug:amoxicillin",
    "cloxacillin": "class:penicillins",
    "cephalosporin": "class:cephalosporins",
    "cephalexin": "drug:cefalexin",
    "cephazolin": "drug:cefazolin",
    "carbapenem": "class:carbapenems",
    "sulfa": "class:sulfonamide-antibiotics",
    "sulpha": "class:sulfonamide-antibiotics",
    "sulfonamides": "class:sulfonamide-antibiotics",
    "sulphonamides": "class:sulfonamide-antibiotics",
    "sulphamethoxazole": "drug:sulfamethoxazole",
    "co-trimoxazole": "drug:sulfamethoxazole",
    "cotrimoxazole": "drug:sulfamethoxazole",
    "macrolide": "class:macrolides",
    "quinolones": "class:fluoroquinolones",
    "fluoroquinolone": "class:fluoroquinolones",
    "tetracycline antibiotics": "class:tetracyclines",
    "nsaid": "class:nsaids",
    "nsaids": "class:nsaids",
    "acetylsalicylic acid": "drug:aspirin",
    "asa": "drug:aspirin",
    "indomethacin": "drug:indometacin",
    "opiates": "class:opioids",
    "opioid": "class:opioids",
    "meperidine": "drug:pethidine",
    "ace inhibitor": "class:ace-inhibitors",
    "statin": "class:statins",
    "benzodiazepine": "class:benzodiazepines",
    "contrast": "class:iodinated-contrast",
    "contrast media": "class:iodinated-contrast",
    "contrast dye": "class:iodinated-contrast",
    "iodinated contrast": "class:iodinated-contrast",
    "x-ray contrast": "class:iodinated-contrast",
    "acetaminophen": "drug:paracetamol",
    "succinylcholine": "drug:suxamethonium",
    "latex": "env:latex",
    "rubber": "env:latex",
    "elastoplast": "env:adhesive",
    "plaster": "env:adhesive",
    "bee sting": "env:bee-venom",
    "wasp sting": "env:wasp-venom",
    "dust mite": "env:house-dust-mite",
    "pollen": "env:grass-pollen",
    "hay fever": "env:grass-pollen",
    "peanuts": "food:peanut",
    "nuts": "food:tree-nuts",
    "tree nut": "food:tree-nuts",
    "shellfish": "food:shellfish",
    "seafood": "food:shellfish",
    "eggs": "food:egg",
    "milk": "food:cows-milk",
    "dairy": "food:cows-milk",
    "soya": "food:soy",
    "gluten": "food:wheat",
}


def find(text: str) -> Allergen | None:
    """The allergen a typed name stands for: its code, its name, or a synonym (case and spaces ignored)."""
    key = " ".join((text or "").strip().lower().split())
    if key in ALLERGENS:
        return ALLERGENS[key]
    for allergen in ALLERGENS.values():
        if key in (allergen.name.lower(), allergen.ingredient):
            return allergen
    code = SYNONYMS.get(key)
    return ALLERGENS[code] if code else None


def choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a select: drug classes, drug ingredients, other allergens."""
    return [
        ("Drug classes", [(a.code, a.name) for a in CLASSES]),
        ("Drugs", sorted(((a.code, a.name) for a in INGREDIENTS), key=lambda c: c[1])),
        ("Food and environment", sorted(((a.code, a.name) for a in NON_DRUG), key=lambda c: c[1])),
    ]
