"""The database keeps each slot's count of live appointments and each appointment's copy of its slot's time.

- BEFORE INSERT or a move to another slot: the appointment takes its slot's day, times, department and
  provider (so the patient-overlap exclusion constraint always sees the real times), and a new booking or
  a move into a blocked slot is refused.
- AFTER INSERT, UPDATE of slot_id/status, DELETE: the slots' `booked` counters follow (cancelled
  appointments do not count). `CHECK (booked <= capacity)` on the slot then refuses the one booking too
  many: concurrent bookings of one slot queue on its row lock, and the second finds it full.

docs/decisions/0012-booking-invariants-in-the-database.md says why a counter and not an exclusion
constraint for capacity.
"""

from django.db import migrations

COPY_SLOT = """
CREATE FUNCTION scheduling_appointment_copy_slot() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s scheduling_slot%ROWTYPE;
BEGIN
    SELECT * INTO s FROM scheduling_slot WHERE id = NEW.slot_id;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key reports it
    END IF;
    IF s.blocked AND NEW.status <> 'cancelled' AND (TG_OP = 'INSERT' OR NEW.slot_id <> OLD.slot_id) THEN
        RAISE EXCEPTION 'slot % is blocked (%)', s.id, s.blocked_reason
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointment_slot_not_blocked';
    END IF;
    NEW.day := s.day;
    NEW.starts_at := s.starts_at;
    NEW.ends_at := s.ends_at;
    NEW.department_id := s.department_id;
    NEW.provider_id := s.provider_id;
    RETURN NEW;
END $$;

CREATE TRIGGER scheduling_appointment_copy_slot
    BEFORE INSERT OR UPDATE OF slot_id ON scheduling_appointment
    FOR EACH ROW EXECUTE FUNCTION scheduling_appointment_copy_slot();
"""

COUNT_BOOKED = """
CREATE FUNCTION scheduling_slot_count_booked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'cancelled' THEN
        UPDATE scheduling_slot SET booked = booked - 1 WHERE id = OLD.slot_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'cancelled' THEN
        UPDATE scheduling_slot SET booked = booked + 1 WHERE id = NEW.slot_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER scheduling_slot_count_booked
    AFTER INSERT OR DELETE OR UPDATE OF slot_id, status ON scheduling_appointment
    FOR EACH ROW EXECUTE FUNCTION scheduling_slot_count_booked();
"""


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        migrations.RunSQL(
            COPY_SLOT,
            "DROP TRIGGER scheduling_appointment_copy_slot ON scheduling_appointment;"
            "DROP FUNCTION scheduling_appointment_copy_slot();",
        ),
        migrations.RunSQL(
            COUNT_BOOKED,
            "DROP TRIGGER scheduling_slot_count_booked ON scheduling_appointment;"
            "DROP FUNCTION scheduling_slot_count_booked();",
        ),
    ]
