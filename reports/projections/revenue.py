"""Revenue: invoiced, collected and credited per day x department x service x payer.

Invoiced counts issued (not void) invoices by posting date, per line. Payments and credit notes are
spread over the invoice's lines in proportion to each line's share of the total (exact numeric in the
view; rounded to cents only when reported), so collections can be read by department and service too.
Lines without a service (e.g. dispensed drugs) have service 0 and department 0 ("other").
"""

from django.utils import timezone

from reports.projections.base import Projection, View, cents, rows

DAILY = View(
    name="reports_revenue_daily",
    select="""
WITH lines AS (
    SELECT l.invoice_id, COALESCE(s.department_id, 0) AS department_id, COALESCE(l.service_id, 0) AS service_id,
           i.payer_id, i.posting_date, l.line_total, i.total
    FROM billing_invoiceline l
    JOIN billing_invoice i ON i.id = l.invoice_id
    LEFT JOIN billing_service s ON s.id = l.service_id
    WHERE i.status IN ('issued', 'partially_paid', 'paid')
), events AS (
    SELECT posting_date AS day, department_id, service_id, payer_id,
           line_total AS invoiced, 0::numeric AS collected, 0::numeric AS credited
    FROM lines
    UNION ALL
    SELECT p.paid_on, l.department_id, l.service_id, l.payer_id, 0, p.amount * l.line_total / l.total, 0
    FROM billing_payment p JOIN lines l ON l.invoice_id = p.invoice_id WHERE l.total > 0
    UNION ALL
    SELECT c.credited_on, l.department_id, l.service_id, l.payer_id, 0, 0, c.amount * l.line_total / l.total
    FROM billing_creditnote c JOIN lines l ON l.invoice_id = c.invoice_id WHERE l.total > 0
)
SELECT e.day, e.department_id, COALESCE(dep.name, 'Other charges') AS department_name,
       e.service_id, COALESCE(s.code || ' ' || s.name, 'Other charges (drugs, ad hoc)') AS service_name,
       e.payer_id, y.name AS payer_name,
       sum(e.invoiced) AS invoiced, sum(e.collected) AS collected, sum(e.credited) AS credited
FROM events e
LEFT JOIN clinical_department dep ON dep.id = e.department_id
LEFT JOIN billing_service s ON s.id = e.service_id
JOIN billing_payer y ON y.id = e.payer_id
GROUP BY e.day, e.department_id, dep.name, e.service_id, s.code, s.name, e.payer_id, y.name
""",
    unique=("day", "department_id", "service_id", "payer_id"),
    indexes=(("department_id",), ("payer_id",)),
)

TOTALS_SQL = f"""
SELECT COALESCE(sum(invoiced), 0) AS invoiced, COALESCE(sum(collected), 0) AS collected,
       COALESCE(sum(credited), 0) AS credited
FROM {DAILY.name} WHERE day BETWEEN %(start)s AND %(end)s
"""


class Revenue(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        today = timezone.localdate()
        summary = {"day": today.isoformat()}
        for period, start in (("today", today), ("month", today.replace(day=1))):
            (totals,) = rows(cursor, TOTALS_SQL, {"start": start, "end": today})
            for name, value in totals.items():
                summary[f"{period}:{name}"] = cents(value)
        return {"summary": summary}


PROJECTION = Revenue(
    name="revenue",
    title="Revenue",
    views=(DAILY,),
    sources=(
        "billing.Invoice",
        "billing.InvoiceLine",
        "billing.Payment",
        "billing.CreditNote",
        "billing.Service",
        "billing.Payer",
        "clinical.Department",
    ),
)
