"""Ward census: per ward and completed day, the midnight census, beds, admissions, discharges, transfers
in and out, and the length of stay of those discharged (for the average).

Definitions (the inpatient census report and its test say the same):
- census of day D: patients in a bed of the ward at the midnight that ends D (inpatient/nights.py: the
  midnights bed-days are charged for). Patient days over a period = the sum of the daily census.
- beds: the ward's beds that existed at that midnight; occupancy % = patient days / bed days.
- admissions: stays whose first bed was in the ward, by the day admitted; discharges: by the day the
  patient left, in the ward of their last bed; transfers in / out: moves between wards (a move within a
  ward is neither).
- length of stay of a discharge: days from the admission date to the discharge date, a same-day stay
  counting as one; average length of stay = their sum / discharges.
- Days are UTC dates, as in every view (the hospital's midnight when TIME_ZONE is UTC, the default).
Cancelled admissions (made in error) count nowhere. Only completed days (before today) are in the view,
so it changes at midnight and when history is corrected; it is refreshed at most once a minute.
"""

from reports.projections.base import VIEWS, DashboardFields, Projection, View, rows

DAILY = View(
    name="reports_ward_census_daily",
    select="""
WITH stays AS (
    SELECT ba.admission_id, b.ward_id, ba.started_at, ba.ended_at, a.status, a.admitted_at,
           lag(b.ward_id) OVER w AS previous_ward, lead(b.ward_id) OVER w AS next_ward
    FROM inpatient_bedassignment ba
    JOIN inpatient_bed b ON b.id = ba.bed_id
    JOIN inpatient_admission a ON a.id = ba.admission_id
    WHERE NOT ba.cancelled AND a.status <> 'cancelled'
    WINDOW w AS (PARTITION BY ba.admission_id ORDER BY ba.started_at, ba.id)
),
today AS (SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AS midnight),
midnights AS (
    SELECT s.ward_id, (m.at - interval '1 day')::date AS day, count(*) AS census
    FROM stays s CROSS JOIN today t
    CROSS JOIN LATERAL generate_series(
        date_trunc('day', (s.started_at AT TIME ZONE 'UTC') - interval '1 microsecond') + interval '1 day',
        LEAST(COALESCE((s.ended_at AT TIME ZONE 'UTC') - interval '1 microsecond', t.midnight), t.midnight),
        interval '1 day'
    ) AS m(at)
    GROUP BY 1, 2
),
arrivals AS (
    SELECT ward_id, (started_at AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE previous_ward IS NULL) AS admissions,
           count(*) FILTER (WHERE previous_ward <> ward_id) AS transfers_in
    FROM stays GROUP BY 1, 2
),
departures AS (
    SELECT ward_id, (ended_at AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE next_ward IS NULL AND status = 'discharged') AS discharges,
           COALESCE(sum(GREATEST(1, (ended_at AT TIME ZONE 'UTC')::date - (admitted_at AT TIME ZONE 'UTC')::date))
               FILTER (WHERE next_ward IS NULL AND status = 'discharged'), 0) AS discharged_stay_days,
           count(*) FILTER (WHERE next_ward <> ward_id) AS transfers_out
    FROM stays WHERE ended_at IS NOT NULL GROUP BY 1, 2
),
openings AS (
    SELECT ward_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS beds FROM inpatient_bed GROUP BY 1, 2
),
grid AS (
    SELECT o.ward_id, d::date AS day
    FROM (SELECT ward_id, min(day) AS first FROM openings GROUP BY 1) AS o CROSS JOIN today t
    CROSS JOIN LATERAL generate_series(o.first, t.midnight - interval '1 day', interval '1 day') AS d
)
SELECT g.ward_id, w.name AS ward_name, g.day,
       (SELECT sum(o.beds) FROM openings o WHERE o.ward_id = g.ward_id AND o.day <= g.day)::int AS beds,
       COALESCE(m.census, 0) AS census, COALESCE(a.admissions, 0) AS admissions,
       COALESCE(d.discharges, 0) AS discharges, COALESCE(d.discharged_stay_days, 0) AS discharged_stay_days,
       COALESCE(a.transfers_in, 0) AS transfers_in, COALESCE(d.transfers_out, 0) AS transfers_out
FROM grid g
JOIN inpatient_ward w ON w.id = g.ward_id
LEFT JOIN midnights m ON m.ward_id = g.ward_id AND m.day = g.day
LEFT JOIN arrivals a ON a.ward_id = g.ward_id AND a.day = g.day
LEFT JOIN departures d ON d.ward_id = g.ward_id AND d.day = g.day
""",
    unique=("ward_id", "day"),
    indexes=(("day",),),
)


class WardCensus(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        (last,) = rows(
            cursor,
            f"""SELECT max(day) AS day,
                       COALESCE(sum(census) FILTER (WHERE day = (SELECT max(day) FROM {DAILY.name})), 0) AS census
                FROM {DAILY.name}""",
        )
        return {"summary": {"day": last["day"].isoformat() if last["day"] else "", "census": int(last["census"])}}


PROJECTION = WardCensus(
    name="ward_census",
    title="Ward census",
    views=(DAILY,),
    sources=("inpatient.BedAssignment", "inpatient.Admission", "inpatient.Bed", "inpatient.Ward"),
    min_interval=60,
    calendar=VIEWS,  # a day is added at each midnight
    dashboard=DashboardFields(lambda found: {"midnight_census": found["summary"].get("census", "0")}),
)
