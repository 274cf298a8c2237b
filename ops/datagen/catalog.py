"""Reference lists for generated data: departments, payers, services, names, common diagnoses, drugs.

Weights are relative frequencies, chosen to look like a general hospital's mix (hypertension and type 2
diabetes common, a long tail of rare codes drawn from the whole ICD-10-CM list).
"""

# code, name, encounter types it receives, weight within those types
DEPARTMENTS = [
    ("OPD", "Outpatients", ("outpatient",), 40),
    ("CARD", "Cardiology", ("outpatient", "inpatient"), 10),
    ("PED", "Paediatrics", ("outpatient", "inpatient"), 10),
    ("OBG", "Obstetrics & Gynaecology", ("outpatient", "inpatient"), 8),
    ("ORTH", "Orthopaedics", ("outpatient", "inpatient"), 8),
    ("DERM", "Dermatology", ("outpatient",), 4),
    ("ENDO", "Endocrinology", ("outpatient",), 6),
    ("ED", "Emergency", ("emergency",), 1),
    ("MED", "Medicine", ("inpatient",), 30),
    ("SURG", "Surgery", ("inpatient",), 20),
    ("ICU", "Intensive Care", ("inpatient",), 4),
    ("RAD", "Radiology", (), 0),
    ("LAB", "Laboratory", (), 0),
]

# name, kind, payment terms (days), share of patients, days from posting to payment (min, max)
PAYERS = [
    ("Self-pay", "self_pay", 0, 34, (0, 4)),
    ("Acme Health Insurance", "insurer", 30, 14, (12, 60)),
    ("Blue Meridian Assurance", "insurer", 30, 10, (15, 70)),
    ("Harbor Mutual", "insurer", 45, 7, (20, 90)),
    ("Northstar Health Plan", "insurer", 30, 6, (10, 50)),
    ("Unity Care Insurance", "insurer", 60, 4, (30, 110)),
    ("National Health Scheme", "government", 60, 18, (30, 120)),
    ("Veterans Health Programme", "government", 45, 4, (25, 90)),
    ("Workers' Compensation Board", "government", 90, 3, (40, 150)),
]

# department code -> [(service code, name, price)]; the first service is the visit itself.
SERVICES = {
    "OPD": [
        ("CONS", "General consultation", "45.00"),
        ("CONS-FU", "Follow-up consultation", "30.00"),
        ("ECG", "Electrocardiogram", "35.00"),
        ("DRESS", "Wound dressing", "20.00"),
        ("VACC", "Vaccination", "25.00"),
        ("NEB", "Nebulisation", "18.00"),
    ],
    "CARD": [
        ("CARD-CONS", "Cardiology consultation", "120.00"),
        ("ECHO", "Echocardiogram", "260.00"),
        ("HOLTER", "Holter monitoring", "180.00"),
        ("STRESS", "Exercise stress test", "220.00"),
    ],
    "PED": [
        ("PED-CONS", "Paediatric consultation", "60.00"),
        ("PED-VACC", "Childhood immunisation", "30.00"),
        ("PED-NEB", "Paediatric nebulisation", "20.00"),
    ],
    "OBG": [
        ("OBG-CONS", "Obstetric consultation", "80.00"),
        ("US-OB", "Obstetric ultrasound", "110.00"),
        ("DELIV", "Normal delivery", "1450.00"),
        ("CSEC", "Caesarean section", "3900.00"),
    ],
    "ORTH": [
        ("ORTH-CONS", "Orthopaedic consultation", "90.00"),
        ("CAST", "Plaster cast", "75.00"),
        ("ORIF", "Open reduction and internal fixation", "4200.00"),
        ("PHYSIO", "Physiotherapy session", "40.00"),
    ],
    "DERM": [
        ("DERM-CONS", "Dermatology consultation", "85.00"),
        ("BIOPSY", "Skin biopsy", "150.00"),
        ("CRYO", "Cryotherapy", "60.00"),
    ],
    "ENDO": [("ENDO-CONS", "Endocrinology consultation", "110.00"), ("DIAB-ED", "Diabetes education", "35.00")],
    "ED": [
        ("ED-VISIT", "Emergency assessment", "150.00"),
        ("ED-RESUS", "Resuscitation", "900.00"),
        ("SUTURE", "Wound suturing", "95.00"),
        ("ED-OBS", "Emergency observation (hour)", "45.00"),
    ],
    "MED": [
        ("WARD-DAY", "Ward day (medicine)", "310.00"),
        ("IV-THER", "IV therapy", "55.00"),
        ("ENDOSC", "Upper GI endoscopy", "640.00"),
    ],
    "SURG": [
        ("SURG-DAY", "Ward day (surgery)", "340.00"),
        ("APPEND", "Appendicectomy", "3100.00"),
        ("CHOLE", "Laparoscopic cholecystectomy", "4800.00"),
        ("HERNIA", "Hernia repair", "2600.00"),
        ("THEATRE", "Theatre time (hour)", "950.00"),
    ],
    "ICU": [("ICU-DAY", "ICU day", "2400.00"), ("VENT", "Mechanical ventilation (day)", "800.00")],
    "RAD": [
        ("XR-CHEST", "Chest X-ray", "85.00"),
        ("XR-LIMB", "Limb X-ray", "70.00"),
        ("CT-HEAD", "CT head", "420.00"),
        ("CT-ABD", "CT abdomen", "520.00"),
        ("MRI", "MRI scan", "890.00"),
        ("US-ABD", "Abdominal ultrasound", "140.00"),
    ],
    "LAB": [
        ("FBC", "Full blood count", "18.50"),
        ("HBA1C", "HbA1c", "24.00"),
        ("LIPID", "Lipid panel", "28.00"),
        ("U-E", "Urea and electrolytes", "22.00"),
        ("LFT", "Liver function tests", "26.00"),
        ("CRP", "C-reactive protein", "15.00"),
        ("UA", "Urinalysis", "9.50"),
        ("TROP", "Troponin", "45.00"),
        ("CULT", "Blood culture", "55.00"),
        ("TSH", "Thyroid function", "32.00"),
    ],
}

# The department's daily service for inpatients (quantity = days in hospital).
WARD_DAY = {
    "MED": "WARD-DAY",
    "SURG": "SURG-DAY",
    "ICU": "ICU-DAY",
    "CARD": "WARD-DAY",
    "PED": "WARD-DAY",
    "OBG": "WARD-DAY",
    "ORTH": "SURG-DAY",
}

_GIVEN_NAMES = """
James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph
Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret
Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa
George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy Jacob
Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela Justin Nicole Scott
Anna Brandon Samantha Benjamin Katherine Samuel Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank
Janet Raymond Maria Jack Olivia Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam
Victoria Amara Kwame Priya Hiroshi Fatima Mateo Sofia Elena Jonas Grace Liam Chidi Aisha Wei Mei Arjun Ananya
Yusuf Leila Omar Zara Kenji Yuki Ines Luca Giulia Nikolai Olga Tariq Noor Sipho Thandiwe Kofi Ama Diego Camila
"""
GIVEN_NAMES = _GIVEN_NAMES.split()

_FAMILY_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson
Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart
Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim
Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo
Sanders Patel Myers Long Ross Foster Okafor Mensah Mwangi Tanaka Lindqvist Raman Fernandez Al-Sayed O'Connor
Rossi Petrova Cohen Chen Wang Singh Kumar Sato Suzuki Müller Schmidt Novak Kowalski Ivanova Haddad Nasser
Adeyemi Owusu Banda Dlamini Nkosi Silva Santos Costa Oliveira Dubois Moreau Laurent Jensen Hansen Larsen
"""
FAMILY_NAMES = _FAMILY_NAMES.split()

STREETS = (
    "Main St",
    "High St",
    "Church Rd",
    "Station Rd",
    "Park Ave",
    "Mill Lane",
    "Victoria Rd",
    "Green Lane",
    "Oak Drive",
    "River Rd",
    "Hospital Rd",
    "Market St",
)

# The hospital's catchment: (town, its postal codes' first three digits, weight). A patient lives in one;
# the postal code is the prefix and two more digits (population health groups by the area).
AREAS = (
    ("Springfield", "627", 30),
    ("Riverton", "628", 14),
    ("Lakeside", "629", 12),
    ("Fairview", "625", 10),
    ("Oak Hill", "626", 9),
    ("Brookfield", "624", 8),
    ("Mount Pleasant", "623", 7),
    ("Greenville", "622", 6),
    ("Clinton", "621", 4),
)

# ICD-10-CM codes common in a general hospital, with relative weights; codes not in the loaded list are skipped.
COMMON_DIAGNOSES = {
    "outpatient": [
        ("I10", 120),
        ("E11.9", 80),
        ("E78.5", 45),
        ("J06.9", 60),
        ("M54.50", 35),
        ("K21.9", 25),
        ("E11.65", 20),
        ("F41.1", 18),
        ("F32.A", 15),
        ("E66.9", 18),
        ("Z00.00", 40),
        ("J45.909", 20),
        ("E03.9", 14),
        ("N39.0", 18),
        ("M17.11", 10),
        ("M17.12", 9),
        ("L30.9", 10),
        ("R51.9", 12),
        ("R10.9", 12),
        ("I25.10", 14),
        ("I48.91", 9),
        ("E11.22", 8),
        ("I11.9", 10),
        ("I12.9", 6),
        ("E10.9", 7),
        ("E10.65", 3),
        ("H66.90", 10),
        ("B34.9", 14),
        ("Z34.90", 12),
        ("D64.9", 8),
        ("K59.00", 7),
        ("R05.9", 12),
        ("L03.90", 6),
        ("G43.909", 8),
        ("N18.30", 5),
        ("I13.10", 3),
        ("I15.0", 1),
        ("I16.9", 1),
        ("Z23", 15),
    ],
    "emergency": [
        ("R07.9", 40),
        ("R10.9", 35),
        ("S93.401A", 15),
        ("S52.501A", 10),
        ("J18.9", 20),
        ("N39.0", 15),
        ("A09", 18),
        ("R55", 12),
        ("R06.02", 12),
        ("T78.40XA", 8),
        ("S01.81XA", 14),
        ("S06.0X0A", 8),
        ("I10", 15),
        ("R50.9", 14),
        ("J45.901", 8),
        ("K35.80", 6),
        ("I21.9", 5),
        ("I63.9", 5),
        ("R51.9", 12),
        ("E11.65", 4),
        ("I16.0", 2),
    ],
    "inpatient": [
        ("J18.9", 30),
        ("I50.9", 22),
        ("I21.9", 12),
        ("I63.9", 12),
        ("N17.9", 10),
        ("K35.80", 12),
        ("K80.20", 12),
        ("A41.9", 12),
        ("J44.1", 14),
        ("O80", 25),
        ("O82", 8),
        ("S72.001A", 8),
        ("E11.65", 8),
        ("I48.91", 8),
        ("K92.2", 6),
        ("N39.0", 8),
        ("E87.1", 5),
        ("I10", 12),
        ("E11.9", 12),
        ("K40.90", 8),
        ("I11.0", 4),
    ],
}
# Share of diagnoses drawn from the whole billable list instead (the long tail).
RARE_DIAGNOSIS_SHARE = 0.08

# generic name, strengths, forms, unit price (per unit), typical quantity dispensed
DRUGS = [
    ("Amoxicillin", ("250 mg", "500 mg"), ("capsule", "syrup"), "0.80", 21),
    ("Amoxicillin and clavulanate", ("625 mg", "1 g"), ("tablet",), "1.20", 14),
    ("Paracetamol", ("500 mg", "1 g"), ("tablet", "syrup", "infusion"), "0.10", 24),
    ("Ibuprofen", ("200 mg", "400 mg"), ("tablet", "syrup"), "0.12", 20),
    ("Metformin", ("500 mg", "850 mg", "1000 mg"), ("tablet",), "0.15", 60),
    ("Gliclazide", ("40 mg", "80 mg"), ("tablet",), "0.20", 60),
    ("Insulin glargine", ("100 units/ml",), ("injection",), "28.00", 1),
    ("Insulin aspart", ("100 units/ml",), ("injection",), "24.00", 1),
    ("Amlodipine", ("5 mg", "10 mg"), ("tablet",), "0.20", 30),
    ("Lisinopril", ("5 mg", "10 mg", "20 mg"), ("tablet",), "0.18", 30),
    ("Ramipril", ("2.5 mg", "5 mg", "10 mg"), ("capsule",), "0.22", 30),
    ("Losartan", ("50 mg", "100 mg"), ("tablet",), "0.25", 30),
    ("Bisoprolol", ("2.5 mg", "5 mg"), ("tablet",), "0.16", 30),
    ("Atorvastatin", ("10 mg", "20 mg", "40 mg", "80 mg"), ("tablet",), "0.20", 30),
    ("Simvastatin", ("20 mg", "40 mg"), ("tablet",), "0.12", 30),
    ("Aspirin", ("75 mg", "300 mg"), ("tablet",), "0.05", 30),
    ("Clopidogrel", ("75 mg",), ("tablet",), "0.30", 30),
    ("Warfarin", ("1 mg", "3 mg", "5 mg"), ("tablet",), "0.10", 28),
    ("Apixaban", ("2.5 mg", "5 mg"), ("tablet",), "1.90", 56),
    ("Furosemide", ("20 mg", "40 mg"), ("tablet", "injection"), "0.10", 28),
    ("Spironolactone", ("25 mg", "50 mg"), ("tablet",), "0.20", 28),
    ("Omeprazole", ("20 mg", "40 mg"), ("capsule", "injection"), "0.15", 28),
    ("Pantoprazole", ("20 mg", "40 mg"), ("tablet", "injection"), "0.18", 28),
    ("Salbutamol", ("100 mcg/dose", "2.5 mg/2.5 ml"), ("inhaler", "drops"), "6.50", 1),
    ("Beclometasone", ("100 mcg/dose", "200 mcg/dose"), ("inhaler",), "9.80", 1),
    ("Prednisolone", ("5 mg", "25 mg"), ("tablet",), "0.10", 20),
    ("Levothyroxine", ("25 mcg", "50 mcg", "100 mcg"), ("tablet",), "0.08", 28),
    ("Sertraline", ("50 mg", "100 mg"), ("tablet",), "0.25", 28),
    ("Fluoxetine", ("20 mg",), ("capsule",), "0.20", 28),
    ("Ceftriaxone", ("1 g", "2 g"), ("injection",), "4.50", 5),
    ("Ciprofloxacin", ("250 mg", "500 mg"), ("tablet", "infusion"), "0.35", 14),
    ("Clarithromycin", ("250 mg", "500 mg"), ("tablet",), "0.60", 14),
    ("Doxycycline", ("100 mg",), ("capsule",), "0.30", 14),
    ("Nitrofurantoin", ("50 mg", "100 mg"), ("capsule",), "0.40", 14),
    ("Metronidazole", ("400 mg", "500 mg"), ("tablet", "infusion"), "0.15", 21),
    ("Morphine", ("10 mg/ml",), ("injection",), "2.10", 5),
    ("Tramadol", ("50 mg",), ("capsule",), "0.20", 20),
    ("Ondansetron", ("4 mg", "8 mg"), ("tablet", "injection"), "0.60", 10),
    ("Enoxaparin", ("40 mg", "80 mg"), ("injection",), "5.20", 7),
    ("Hydrocortisone", ("1 %",), ("cream",), "3.40", 1),
    ("Cetirizine", ("10 mg",), ("tablet", "syrup"), "0.06", 30),
    ("Ferrous sulfate", ("200 mg",), ("tablet",), "0.04", 56),
    ("Folic acid", ("5 mg",), ("tablet",), "0.03", 28),
    ("Methotrexate", ("2.5 mg",), ("tablet",), "0.45", 12),
    ("Trimethoprim", ("200 mg",), ("tablet",), "0.14", 14),
    ("Sildenafil", ("50 mg", "100 mg"), ("tablet",), "0.90", 8),
    ("Isosorbide mononitrate", ("30 mg", "60 mg"), ("tablet",), "0.18", 28),
    ("Digoxin", ("62.5 mcg", "125 mcg"), ("tablet",), "0.12", 28),
    ("Potassium chloride", ("600 mg",), ("tablet",), "0.10", 28),
    ("Sodium chloride 0.9 %", ("1000 ml", "500 ml"), ("infusion",), "1.60", 3),
]

UNIT_OF_FORM = {
    "tablet": "tablet",
    "capsule": "capsule",
    "syrup": "bottle",
    "injection": "vial",
    "infusion": "bag",
    "cream": "tube",
    "inhaler": "inhaler",
    "drops": "bottle",
}

FREQUENCIES = ("once a day", "twice a day", "three times a day", "four times a day", "at night", "as needed")
