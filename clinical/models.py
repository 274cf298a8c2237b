from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone


def not_in_future(value):
    if value > timezone.localdate():
        raise ValidationError("Date of birth cannot be in the future.")


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    mrn = models.CharField("MRN", max_length=20, unique=True, help_text="Medical record number.")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(validators=[not_in_future])
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=30, blank=True)
    address = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(mrn=""), name="patient_mrn_not_blank"),
        ]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    def get_absolute_url(self):
        return reverse("admin:clinical_patient_change", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
