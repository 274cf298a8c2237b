"""Every Redis key prefix the system writes, defined once: a key says whose it is, and tests and operators
can clear or count one kind by its prefix."""

PROJECTIONS = "hmis:proj"  # summaries and refresh flags: hmis:proj:<projection>:<part>
READ_YOUR_WRITES = "hmis:ryw"  # an API client's last write position: hmis:ryw:<identity>
AUDIT_SPOOL = "hmis:audit:spool"  # read events waiting for the primary
THROTTLE = "hmis:throttle"  # API request counts per client and window
BACKUP_STATUS = "hmis:ops:backup-status"  # the last backup as pgBackRest's repository told the status
REPORT_ANSWERS = "hmis:report"  # report answers kept per projection version: hmis:report:<report>:<digest>


def projection(name: str, part: str) -> str:
    return f"{PROJECTIONS}:{name}:{part}"


def report_answer(report: str, digest: str) -> str:
    return f"{REPORT_ANSWERS}:{report}:{digest}"
