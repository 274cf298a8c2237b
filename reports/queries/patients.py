"""Patients as the patient view holds them (reports/projections/patient_view.py): one patient's summary
with its sync status, and search the way front desks search."""

import datetime
import json
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from clinical.models import envelope
from core.routing.router import read_alias
from reports.engine.freshness import answer as freshness
from reports.projections.base import rows
from reports.projections.patient_view import NAME_WORDS, PROJECTION, TOUCHED, VIEW, current, patient_select

IN_SYNC, SYNCING, OUT_OF_SYNC = "in_sync", "syncing", "out_of_sync"
MEDICATION_STATES = {
    "active": "prescribed, not yet dispensed",
    "partially_dispensed": "partly dispensed ({quantity_dispensed} of {quantity})",
    "dispensed": "dispensed",
}

# The row, the patient's active alerts by severity, and what the projection knows on this server: when it
# was refreshed, whether committed events wait (and then which patients they touch), whether
# reconciliation found this row wrong and has not repaired it yet.
ROW_SQL = f"""
SELECT (SELECT jsonb_object_agg(severity, n) FROM (
            SELECT a.severity, count(DISTINCT (a.rule, a.subject)) AS n FROM reports_patient_alerts a
            WHERE a.patient_id = k.patient AND a.valid_from <= now()
              AND (a.valid_until IS NULL OR a.valid_until > now())
            GROUP BY a.severity) AS x) AS alert_counts,
       EXISTS (SELECT 1 FROM reports_rowdrift d WHERE d.projection = 'patient_view'
               AND d.key = k.patient::text AND d.repaired_at IS NULL) AS drifted,
       v.*
FROM (SELECT %(patient)s::bigint AS patient) AS k LEFT JOIN {VIEW.name} v ON v.patient_id = k.patient
"""
STATE_SQL = """
SELECT s.snapshot, s.refreshed_at, s.fresh_as_of,
       s.snapshot = '' OR EXISTS (
           SELECT 1 FROM hmis_outboxevent o
           WHERE o.projection = s.name
             AND o.xid >= pg_snapshot_xmin(NULLIF(s.snapshot, '')::pg_snapshot)::text::bigint
             AND NOT pg_visible_in_snapshot(o.xid::text::xid8, NULLIF(s.snapshot, '')::pg_snapshot)) AS pending
FROM reports_projectionstate s WHERE s.name = %(name)s
"""
PENDING_SQL = """
SELECT DISTINCT o.source, o.object_id FROM hmis_outboxevent o
WHERE o.projection = %(name)s
  AND o.xid >= pg_snapshot_xmin(%(snapshot)s::pg_snapshot)::text::bigint
  AND NOT pg_visible_in_snapshot(o.xid::text::xid8, %(snapshot)s::pg_snapshot)
LIMIT 5001
"""
LIVE_SQL = patient_select("(SELECT %(patient)s::bigint AS patient_id)")
WAITING_SQL = patient_select("(SELECT unnest(%(waiting)s::bigint[]) AS patient_id)")
MISSING_SQL = patient_select(
    f"(SELECT id AS patient_id FROM clinical_patient p WHERE p.merged_into_id IS NULL AND NOT EXISTS "
    f"(SELECT 1 FROM {VIEW.name} x WHERE x.patient_id = p.id))"
)


def _waiting(cursor) -> tuple[dict | None, list[int] | None]:
    """(the projection's state on this server, the patients whose changes its last refresh did not see:
    [] when none wait, None when some cannot be placed: a department renamed, too many changes)."""
    (state,) = rows(cursor, STATE_SQL, {"name": PROJECTION.name}) or [None]
    if state is None or not state["snapshot"]:
        return state, None
    if not state["pending"]:
        return state, []
    cursor.execute(PENDING_SQL, {"name": PROJECTION.name, "snapshot": state["snapshot"]})
    changes = cursor.fetchall()
    if len(changes) > 5000 or any(source not in VIEW.increment.sources for source, _ in changes):
        return state, None
    cursor.execute(TOUCHED, {"changes": json.dumps(changes)})
    touched = [row[0] for row in cursor.fetchall()]
    return state, None if None in touched else touched


def age(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _local_day(value: str) -> str:
    return timezone.localtime(parse_datetime(value)).date().isoformat()


CARD_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "country",
    "preferred_language",
    "created_at",
)


def card(row: dict) -> dict:
    """A view row's demographics as answers show a patient: with age (as of today), the whole address and
    the primary care provider's id and name."""
    return {
        "id": row["patient_id"],
        **{name: row[name] for name in CARD_FIELDS},
        "age": age(row["date_of_birth"], timezone.localdate()),
        "address": envelope(
            row["address_line1"], row["address_line2"], row["postal_code"], row["city"], row["country"]
        ),
        "primary_care_provider": row["primary_care_provider_id"],
        "primary_care_provider_name": row["primary_care_provider"],
    }


def present(row: dict, *, now: datetime.datetime | None = None) -> dict:
    """A view row (or a live computation of one) as the summary answers it: age as of today, medications
    and appointments that have not ended by now."""
    now = now or timezone.now()
    counts = row.get("alert_counts") or {}
    counts = json.loads(counts) if isinstance(counts, str) else counts
    row = current(row, now)
    medications = []
    for item in row["medications"]:
        if parse_datetime(item["prescribed_at"]) > now:
            continue
        medications.append(
            {
                "prescription": item["prescription"],
                "drug": item["drug"],
                "dose": item["dose"],
                "frequency": item["frequency"],
                "status": item["status"],
                "state": MEDICATION_STATES[item["status"]].format(**item),
                "since": _local_day(item["prescribed_at"]),
                "until": _local_day(item["until"]),
            }
        )
    return {
        "patient": card(row),
        "problems": row["problems"],
        "allergy_status": row["allergy_status"],
        "allergies": row["allergies"],
        "current_medications": medications,
        "recent_vitals": row["recent_vitals"],
        "recent_encounters": row["recent_encounters"],
        "upcoming_appointments": row["upcoming_appointments"],
        "open_balance": row["open_balance"],
        "alerts": {severity: int(counts.get(severity, 0)) for severity in ("high", "medium", "low")},
        "last_updated": row["last_updated"],
    }


def patient_summary(*, patient_id: int) -> dict | None:
    """One patient's summary from the patient view where reads go (a standby that has the caller's own
    writes), with `sync_status`: in_sync (the row reflects every committed event), syncing (events about
    this patient wait for the refresh), out_of_sync (reconciliation found the row wrong; being repaired).
    While the row is not in sync the answer is computed from the record itself on the same server (the
    same SQL as the view's, `source: live`): a chart never shows an allergy missing because a refresh is
    a moment behind. None: no such patient."""
    alias = read_alias()
    with connections[alias].cursor() as cursor:
        (found,) = rows(cursor, ROW_SQL, {"patient": patient_id})
        held = found["patient_id"] is not None
        state, waiting = _waiting(cursor)
        if held and found["drifted"]:
            status = OUT_OF_SYNC
        elif held and waiting is not None and patient_id not in waiting:
            status = IN_SYNC
        else:
            status = SYNCING
        row, source = (found, "patient_view") if status == IN_SYNC else (None, "live")
        if row is None:
            live = rows(cursor, LIVE_SQL, {"patient": patient_id})
            if not live:
                return None
            row = {**live[0], "alert_counts": found["alert_counts"]}
    fresh = freshness(state["refreshed_at"], state["fresh_as_of"]) if state else freshness(None, None)
    return {**present(row), "sync_status": status, "source": source, "database": alias, **fresh}


# --- search ----------------------------------------------------------------------------------------------

FUZZY = "0.4"
MAX_COUNT = 1000  # a name search counts and pages through at most this many patients (the best matches)
MRN_LIKE = re.compile(r"^[A-Za-z]{1,5}-?\d+$")
PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{6,}$")
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def _day(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def birth_dates(text: str) -> list[datetime.date]:
    """The dates `text` may mean: 1980-03-12, 19800312, 12/03/1980, 12.03.1980, 12-03-1980, 12 Mar 1980,
    March 12, 1980. A day and month that could be either way round (03/04/1980) give both."""
    text = text.strip().lower().replace(",", " ")
    if (m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)) or (m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)):
        found = [_day(int(m[1]), int(m[2]), int(m[3]))]
    elif m := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        found = [_day(year, b, a), _day(year, a, b)]  # day first, then month first
    elif m := re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})", text):
        found = [_day(int(m[3]), MONTHS.get(m[2], 0), int(m[1]))]
    elif m := re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2})\s+(\d{4})", text):
        found = [_day(int(m[3]), MONTHS.get(m[1], 0), int(m[2]))]
    else:
        found = []
    return list(dict.fromkeys(d for d in found if d))


def fold(text: str) -> str:
    """Lower case without accents, as the view's search_name (hmis_unaccent(lower(...)))."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class Search:
    """A patient search: `q` (names in any order, "Family, Given", an MRN or its start, a phone number, a
    birth date) and filters. `kind` says how `q` was read."""

    q: str = ""
    postal_code: str = ""
    min_age: int | None = None
    max_age: int | None = None
    sex: str = ""
    condition: str = ""
    kind: str = field(default="", init=False)
    # for a name search: the folded words, each with the part of the name it must be in ("f", "g") or None
    words: list = field(default_factory=list, init=False)
    filters: list = field(default_factory=list, init=False)  # the conditions on `v` besides `q`
    exact: str = field(default="", init=False)  # SQL over `v`: every word is a whole word of the name

    def plan(self, *, fuzzy: bool = False) -> tuple[str, dict, str]:
        """(WHERE, params, ORDER BY) over the view `v`."""
        where, params = ["true"], {}
        order = "v.sort_name, v.patient_id"
        q = " ".join(self.q.split())
        if q:
            dates = birth_dates(q)
            digits = re.sub(r"\D", "", q)
            if dates:
                self.kind = "birth_date"
                where.append("v.date_of_birth = ANY(%(dates)s)")
                params["dates"] = dates
            elif MRN_LIKE.match(q):
                self.kind = "mrn"
                where.append("(v.mrn LIKE %(mrn)s OR v.other_mrns @> ARRAY[%(mrn_exact)s]::varchar[])")
                params["mrn"] = q.upper().replace("%", "").replace("_", r"\_") + "%"
                order = "v.mrn = %(mrn_exact)s DESC, v.mrn, v.patient_id"
                params["mrn_exact"] = q.upper()
            elif PHONE_LIKE.match(q) and len(digits) >= 6:
                self.kind = "phone"
                where.append("v.phone_digits LIKE %(phone)s")
                params["phone"] = f"%{digits}%"
            else:
                self.kind = "name"
                order = self._names(q, where, params, fuzzy=fuzzy)
        named = len(where)
        if self.postal_code:
            where.append("v.postal_key LIKE %(postal)s")
            params["postal"] = re.sub(r"[^0-9A-Za-z]", "", self.postal_code).upper() + "%"
        today = timezone.localdate()
        if self.min_age is not None:
            where.append("v.date_of_birth <= %(born_by)s")
            params["born_by"] = _years_before(today, self.min_age)
        if self.max_age is not None:
            where.append("v.date_of_birth > %(born_after)s")
            params["born_after"] = _years_before(today, self.max_age + 1)
        if self.sex:
            where.append("v.sex = %(sex)s")
            params["sex"] = self.sex
        if self.condition:
            # a code or a category (E11 = every E11.x): the codes it stands for, against the indexed array
            where.append(
                "v.problem_codes && ARRAY(SELECT code FROM clinical_icd10code "
                "WHERE code = %(code)s OR code LIKE %(code_prefix)s)::varchar[]"
            )
            code = self.condition.strip().upper()
            code = f"{code[:3]}.{code[3:]}" if len(code) > 3 and "." not in code else code
            params["code"], params["code_prefix"] = code, code.rstrip(".") + ".%"
        self.filters = where[named:]
        return " AND ".join(where), params, order

    def _names(self, q: str, where: list, params: dict, *, fuzzy: bool) -> str:
        """Names: each word the start of a word of the name ("dan coh"), in any order, or "Family, Given";
        ranked exact words first, then by likeness. `fuzzy`: misspellings (trigram word likeness)."""
        if "," in q:
            family, _, given = (fold(p).strip() for p in q.partition(","))
            words = [*family.split(), *given.split()]
            self.words = [(w, "f") for w in _split(family)] + [(w, "g") for w in _split(given)]
        else:
            family = given = ""
            words = fold(q).split()
            self.words = [(w, None) for w in _split(fold(q))]
        self.words = self.words[:5]
        words = [re.sub(r"[^\w'-]", "", w) for w in words][:5]
        words = [w for w in words if w]
        params["text"] = " ".join(words)
        if not words:  # nothing a name could hold ("%%", "--"): nobody
            where.append("false")
            return "v.sort_name, v.patient_id"
        if fuzzy:
            where.append("%(text)s <%% v.search_name")
            return "word_similarity(%(text)s, v.search_name) DESC, v.sort_name, v.patient_id"
        for i, word in enumerate(words):
            # the trigram index finds the rows containing the word; the pattern keeps those where a word
            # of the name starts with it
            where.append(f"v.search_name LIKE %(w{i})s AND v.search_name ~ %(r{i})s")
            params[f"w{i}"] = f"%{_like(word)}%"
            params[f"r{i}"] = rf"(^|[\s'-]){re.escape(word)}"
        if family:
            where.append("hmis_unaccent(lower(v.family_name)) LIKE %(family)s")
            params["family"] = f"{_like(family)}%"
        if given:
            where.append("hmis_unaccent(lower(v.given_name)) LIKE %(given)s")
            params["given"] = f"{_like(given)}%"
        exact = " AND ".join(f"v.search_name ~ %(x{i})s" for i in range(len(words)))
        for i, word in enumerate(words):
            params[f"x{i}"] = rf"(^|[\s'-]){re.escape(word)}($|[\s'-])"
        self.exact = f"({exact})"
        for i, (word, part) in enumerate(self.words):
            params[f"nw{i}"], params[f"nl{i}"], params[f"np{i}"] = word, f"{_like(word)}%", part
        return f"({exact}) DESC, similarity(v.search_name, %(text)s) DESC, v.sort_name, v.patient_id"


def _split(text: str) -> list[str]:
    """Words as the name-words table holds them: split at spaces, apostrophes and hyphens, letters and digits."""
    return [w for w in (re.sub(r"[^\w]", "", part) for part in re.split(r"[\s'-]+", text)) if w]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


LIST_COLUMNS = (
    "patient_id, mrn, given_name, family_name, date_of_birth, sex, phone, address_line1, address_line2, city, "
    "postal_code, country, preferred_language, primary_care_provider_id, primary_care_provider, created_at, "
    "last_updated"
)


class Results:
    """The patients a search finds, as a sequence Django's and DRF's paginators can page through (each page
    one query with LIMIT/OFFSET, the count one more). A name search that finds nobody looks again for
    misspellings."""

    def __init__(self, search: Search, *, alias: str | None = None):
        self.search = search
        self.alias = alias or read_alias()
        with connections[self.alias].cursor() as cursor:
            _, waiting = _waiting(cursor)
        # Patients whose changes the view has not taken yet (one registered a moment ago, renamed...) are
        # searched as the record has them now: a search never misses what the searcher has just written.
        self.source = VIEW.name
        if waiting:
            self.source = (
                f"(SELECT * FROM {VIEW.name} WHERE patient_id <> ALL(%(waiting)s) "
                f"UNION ALL SELECT * FROM ({WAITING_SQL}) AS w)"
            )
        elif waiting is None:
            # Changes the view cannot place, or no refresh yet: its rows of patients that exist, and the
            # patients it does not have yet, as the record has them (a department renamed, for a second).
            self.source = (
                f"(SELECT * FROM {VIEW.name} x "
                "WHERE EXISTS (SELECT 1 FROM clinical_patient p WHERE p.id = x.patient_id) "
                f"UNION ALL SELECT * FROM ({MISSING_SQL}) AS w)"
            )
        self.where, self.params, self.order = search.plan()
        self.params["waiting"] = waiting or []
        self._count = None
        # A name search reads the name-words table in alphabetical order (whole words first, then starts of
        # words), unless the view cannot be trusted to hold every patient (then as below, from `source`).
        self.by_words = search.kind == "name" and bool(search.words) and waiting is not None
        if search.kind == "name" and not self._exists():
            self.by_words = False
            self.where, self.params, self.order = search.plan(fuzzy=True)
            self.params["waiting"] = waiting or []

    def _ranked(self, per_tier: int) -> str:
        """The patients a name search finds as (tier, sort_name, patient_id): whole words (0), then starts of
        words (1), at most `per_tier` of each, alphabetically; and those whose changes wait, from the record."""
        words_table = NAME_WORDS.name
        search = self.search

        def has(i: int, exact: bool) -> str:
            match = f"x{i}.word = %(nw{i})s" if exact else f"x{i}.word LIKE %(nl{i})s"
            part = f" AND position(%(np{i})s in x{i}.parts) > 0" if search.words[i][1] else ""
            return f"EXISTS (SELECT 1 FROM {words_table} x{i} WHERE x{i}.patient_id = d.patient_id AND {match}{part})"

        others_exact = "".join(f" AND {has(i, True)}" for i in range(1, len(search.words)))
        others_start = "".join(f" AND {has(i, False)}" for i in range(1, len(search.words)))
        all_exact = f"{has(0, True)}{others_exact}"
        filters = ""
        if search.filters:
            narrowed = " AND ".join(search.filters)
            filters = f" AND EXISTS (SELECT 1 FROM {VIEW.name} v WHERE v.patient_id = d.patient_id AND {narrowed})"
        first = " AND position(%(np0)s in d.parts) > 0" if search.words[0][1] else ""
        mine = " AND d.patient_id <> ALL(%(waiting)s)"
        exact = (
            f"SELECT 0 AS tier, d.sort_name, d.patient_id FROM {words_table} d "
            f"WHERE d.word = %(nw0)s{first}{mine}{others_exact}{filters} "
            f"ORDER BY d.sort_name, d.patient_id LIMIT {per_tier}"
        )
        # Starts of words: the first word only started (not whole), or whole with another only started;
        # never a patient all of whose words are whole (the first tier has them).
        started = (
            f"SELECT d.sort_name, d.patient_id FROM {words_table} d "
            f"WHERE d.word LIKE %(nl0)s AND d.word <> %(nw0)s{first}{mine}{others_start} AND NOT ({all_exact}){filters}"
        )
        if len(search.words) > 1:
            started += (
                f" UNION SELECT d.sort_name, d.patient_id FROM {words_table} d "
                f"WHERE d.word = %(nw0)s{first}{mine}{others_start} AND NOT ({all_exact}){filters}"
            )
        else:
            started += " GROUP BY d.sort_name, d.patient_id"
        starts = (
            f"SELECT 1 AS tier, s.sort_name, s.patient_id FROM ({started}) AS s "
            f"ORDER BY s.sort_name, s.patient_id LIMIT {per_tier}"
        )
        waiting = (
            f"SELECT CASE WHEN {search.exact} THEN 0 ELSE 1 END AS tier, v.sort_name, v.patient_id "
            f"FROM ({WAITING_SQL}) AS v WHERE {self.where}"
        )
        return f"({exact}) UNION ALL ({starts}) UNION ALL ({waiting})"

    def _run(self, sql: str, params: dict) -> list[dict]:
        with connections[self.alias].cursor() as cursor:
            if "<%%" in self.where:  # misspellings: words at least this alike (pg_trgm's default, 0.6, is strict)
                cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [FUZZY])
            return rows(cursor, sql, params)

    def _exists(self) -> bool:
        if self.by_words:
            return bool(self._run(f"SELECT 1 FROM ({self._ranked(1)}) AS r LIMIT 1", self.params))
        return bool(self._run(f"SELECT 1 FROM {self.source} v WHERE {self.where} LIMIT 1", self.params))

    def count(self) -> int:
        """How many patients match; a name search counts at most MAX_COUNT (the best matches: narrow it)."""
        if self._count is None:
            if self.by_words:
                counted = self._run(f"SELECT count(*) AS n FROM ({self._ranked(MAX_COUNT)}) AS r", self.params)
                self._count = min(counted[0]["n"], MAX_COUNT)
            else:
                counted = self._run(f"SELECT count(*) AS n FROM {self.source} v WHERE {self.where}", self.params)
                self._count = counted[0]["n"]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        limit = "" if stop is None else f" LIMIT {int(stop) - int(start)}"
        if self.by_words:
            stop = min(MAX_COUNT, stop if stop is not None else MAX_COUNT)
            ranked = self._run(
                f"SELECT patient_id FROM ({self._ranked(stop)}) AS r ORDER BY tier, sort_name, patient_id "
                f"LIMIT {max(0, stop - int(start))} OFFSET {int(start)}",
                self.params,
            )
            ids = [r["patient_id"] for r in ranked]
            by_id = {
                r["patient_id"]: r
                for r in self._run(
                    f"SELECT {LIST_COLUMNS} FROM {self.source} v WHERE v.patient_id = ANY(%(ids)s)",
                    {**self.params, "ids": ids},
                )
            }
            found = [by_id[i] for i in ids if i in by_id]
        else:
            found = self._run(
                f"SELECT {LIST_COLUMNS} FROM {self.source} v WHERE {self.where} "
                f"ORDER BY {self.order}{limit} OFFSET {int(start)}",
                self.params,
            )
        return [{**card(row), "last_updated": row["last_updated"]} for row in found]


def patient_search(**criteria) -> Results:
    """Patients found by `q` and the filters of `Search`, best matches first."""
    return Results(Search(**criteria))
