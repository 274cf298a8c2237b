from decimal import Decimal

import factory

from billing.models import Payer, Service
from tests.support.factories.clinical import DepartmentFactory


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
