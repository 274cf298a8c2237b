"""Who and where: Practitioner (staff), Organization (the hospital, payers), Location (departments, wards,
beds)."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Coalesce

from billing.queries import payers
from clinical.queries import departments
from fhir_api import codes, search
from fhir_api.resources.base import Param, ResourceType, Source, compact, fixed_time, person_name, reference
from inpatient.queries import beds, wards

DEPARTMENT_PREFIX, WARD_PREFIX, BED_PREFIX = "dept", "ward", "bed"
HOSPITAL_ID = "hospital"
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # rows that keep no change time: reference data


def _name_param(*fields: str) -> Param:
    def apply(queryset, values, modifier, context):
        return queryset.filter(search.string_q(fields, values, modifier, "name"))

    return Param("string", apply, "Name (starts with; :exact, :contains).")


def _identifier_param(system: str, field: str) -> Param:
    def apply(queryset, values, modifier, context):
        combined = Q()
        for text in values:
            found = search.token(text)
            if found.system in (None, system):
                combined |= Q(pk__isnull=False) if found.code is None else Q(**{field: found.code})
        return queryset.filter(combined) if combined else queryset.none()

    return Param("token", apply, f"{system}|value or value.")


class Staff(Source):
    """Staff with a sign-in of their own (integrators' service accounts are not practitioners)."""

    permission = "clinical.view_encounter"  # whoever reads encounters reads who attended them
    updated_field = "date_joined"
    params = {
        "name": _name_param("first_name", "last_name", "username"),
        "family": _name_param("last_name"),
        "given": _name_param("first_name"),
        "identifier": _identifier_param(codes.STAFF, "username"),
    }

    def queryset(self):
        return get_user_model().objects.filter(api_client__isnull=True)

    def updated_expression(self):
        return Coalesce("last_login", "date_joined")

    def last_updated(self, user):
        return max(filter(None, (user.date_joined, user.last_login)))

    def resources(self, user, context):
        return [
            compact(
                {
                    "resourceType": "Practitioner",
                    "id": str(user.pk),
                    "identifier": [{"system": codes.STAFF, "value": user.get_username()}],
                    "active": user.is_active,
                    "name": [
                        {
                            "text": person_name(user),
                            "family": user.last_name,
                            "given": [user.first_name] if user.first_name else [],
                        }
                    ],
                }
            )
        ]


class PractitionerType(ResourceType):
    name = "Practitioner"
    sources = (Staff(),)
    doc = "Staff: clinicians, nurses, pharmacists and others who sign in."


class Hospital(Source):
    """The hospital itself: one resource (named by HOSPITAL_NAME), kept in no table."""

    prefix = HOSPITAL_ID
    permission = "clinical.view_department"
    params = {"name": _name_param("name")}

    def parse_id(self, ident):
        return (0, "") if ident == HOSPITAL_ID else None

    def make_id(self, pk, part=""):
        return HOSPITAL_ID

    def get(self, pk):
        return self

    def many(self, keys):
        return [self]

    def fetch(self, criteria, context, after, limit):
        if after is not None and after != (0, True):
            return []
        name = settings.HOSPITAL_NAME.lower()
        for parameter, values, modifier in criteria:
            if parameter == "_id" and HOSPITAL_ID not in values:
                return []
            if parameter == "name" and not any(_name_matches(name, v.lower(), modifier) for v in values):
                return []
            if parameter not in ("_id", "name"):
                return []
        return [self]

    def count(self, criteria, context):
        return len(self.fetch(criteria, context, None, 1))

    @property
    def pk(self):
        return 0

    def last_updated(self, row):
        return EPOCH

    def resources(self, row, context):
        return [organization()]


def _name_matches(name: str, wanted: str, modifier: str) -> bool:
    return {"exact": name == wanted, "contains": wanted in name}.get(modifier, name.startswith(wanted))


def organization() -> dict:
    return {
        "resourceType": "Organization",
        "id": HOSPITAL_ID,
        "active": True,
        "type": [codes.concept(codes.ORGANIZATION_TYPE, "prov", "Healthcare Provider")],
        "name": settings.HOSPITAL_NAME,
    }


class Payers(Source):
    prefix = "payer"
    permission = "billing.view_payer"
    params = {"name": _name_param("name")}

    def queryset(self):
        return payers()

    def updated_expression(self):
        return fixed_time(EPOCH)

    def last_updated(self, payer):
        return EPOCH

    def resources(self, payer, context):
        kind = "pay" if payer.kind != payer.Kind.GOVERNMENT else "govt"
        display = {"pay": "Payer", "govt": "Government"}[kind]
        return [
            {
                "resourceType": "Organization",
                "id": self.make_id(payer.pk),
                "identifier": [{"system": codes.PAYER, "value": str(payer.pk)}],
                "active": payer.active,
                "type": [codes.concept(codes.ORGANIZATION_TYPE, kind, display, payer.get_kind_display())],
                "name": payer.name,
            }
        ]


class OrganizationType(ResourceType):
    name = "Organization"
    sources = (Hospital(), Payers())
    doc = "The hospital (id `hospital`) and the payers (ids `payer-N`)."


class Departments(Source):
    prefix = DEPARTMENT_PREFIX
    permission = "clinical.view_department"
    params = {"name": _name_param("name"), "identifier": _identifier_param(codes.DEPARTMENT, "code")}

    def queryset(self):
        return departments()

    def updated_expression(self):
        return fixed_time(EPOCH)

    def last_updated(self, department):
        return EPOCH

    def resources(self, department, context):
        return [
            {
                "resourceType": "Location",
                "id": self.make_id(department.pk),
                "identifier": [{"system": codes.DEPARTMENT, "value": department.code}],
                "status": "active",
                "name": department.name,
                "mode": "instance",
                "physicalType": codes.concept(codes.LOCATION_TYPE, "wi", "Wing"),
                "managingOrganization": reference("Organization", HOSPITAL_ID),
            }
        ]


class Wards(Source):
    prefix = WARD_PREFIX
    permission = "inpatient.view_ward"
    params = {"name": _name_param("name"), "identifier": _identifier_param(codes.WARD, "code")}
    includes = {"partof": "Location"}

    def queryset(self):
        return wards().select_related("department")

    def updated_expression(self):
        return fixed_time(EPOCH)

    def last_updated(self, ward):
        return EPOCH

    def references(self, ward, parameter):
        return [("Location", f"{DEPARTMENT_PREFIX}-{ward.department_id}")] if parameter == "partof" else []

    def resources(self, ward, context):
        return [
            {
                "resourceType": "Location",
                "id": self.make_id(ward.pk),
                "identifier": [{"system": codes.WARD, "value": ward.code}],
                "status": "active" if ward.active else "inactive",
                "name": ward.name,
                "mode": "instance",
                "physicalType": codes.concept(codes.LOCATION_TYPE, "wa", "Ward"),
                "partOf": reference("Location", f"{DEPARTMENT_PREFIX}-{ward.department_id}", ward.department.name),
                "managingOrganization": reference("Organization", HOSPITAL_ID),
            }
        ]


# Bed status -> HL7 v2 table 0116 (bed status); a reserved bed has no code there and shows as unoccupied.
BED_STATUS = {"free": ("U", "Unoccupied"), "occupied": ("O", "Occupied"), "reserved": ("U", "Unoccupied")}
BED_STATUS |= {"cleaning": ("H", "Housekeeping"), "out_of_service": ("C", "Closed")}


class Beds(Source):
    prefix = BED_PREFIX
    permission = "inpatient.view_bed"
    updated_field = "status_changed_at"
    params = {"name": _name_param("label")}
    includes = {"partof": "Location"}

    def queryset(self):
        return beds().select_related("ward")

    def references(self, bed, parameter):
        return [("Location", f"{WARD_PREFIX}-{bed.ward_id}")] if parameter == "partof" else []

    def resources(self, bed, context):
        code, display = BED_STATUS[bed.status]
        return [
            {
                "resourceType": "Location",
                "id": self.make_id(bed.pk),
                "status": "inactive" if bed.status == "out_of_service" else "active",
                "operationalStatus": codes.coding(codes.BED_STATUS, code, display),
                "name": f"{bed.ward.name} {bed.label}",
                "description": bed.get_status_display(),
                "mode": "instance",
                "physicalType": codes.concept(codes.LOCATION_TYPE, "bd", "Bed"),
                "partOf": reference("Location", f"{WARD_PREFIX}-{bed.ward_id}", bed.ward.name),
                "managingOrganization": reference("Organization", HOSPITAL_ID),
            }
        ]


class LocationType(ResourceType):
    name = "Location"
    sources = (Departments(), Wards(), Beds())
    doc = "Departments (`dept-N`), wards (`ward-N`, part of a department) and beds (`bed-N`, part of a ward)."
