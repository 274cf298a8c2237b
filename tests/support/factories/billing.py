from decimal import Decimal

import factory

from billing import commands as billing
from billing.models import Payer, Service
from tests.support.factories.clinical import DepartmentFactory, PatientFactory


class PayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payer
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Insurer {n}")
    kind = Payer.Kind.INSURER
    payment_terms_days = 30


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"SVC{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    department = factory.SubFactory(DepartmentFactory)
    price = Decimal("100.00")


def issued_invoice(amount="100.00", **kwargs):
    """An invoice of one service line at `amount`, issued (through the billing commands)."""
    invoice = billing.invoice_create(
        patient_id=(kwargs.pop("patient", None) or PatientFactory()).pk,
        payer_id=(kwargs.pop("payer", None) or PayerFactory()).pk,
        lines=[{"service": ServiceFactory(price=Decimal(amount)).pk}],
        **kwargs,
    )
    return billing.invoice_issue(invoice_id=invoice.pk)
