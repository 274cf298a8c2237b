import json

from django.core.management.base import BaseCommand

from ops.status import system_status


class Command(BaseCommand):
    help = "Show the primary, each standby (lag in bytes and seconds), Redis, the broker and the worker."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the /healthz JSON instead.")

    def handle(self, *args, **options):
        report = system_status()
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        ok, bad = self.style.SUCCESS, self.style.ERROR
        primary = report["primary"]
        self.stdout.write(f"Overall: {report['status'].upper()}  (checked in {report['checked_in_ms']} ms)")
        if primary["up"]:
            self.stdout.write(ok(f"  primary   up    LSN {primary['lsn']}  {primary['version']}"))
        else:
            self.stdout.write(bad(f"  primary   DOWN  {primary['error']}"))
        for alias, s in report["standbys"].items():
            if not s["up"]:
                self.stdout.write(bad(f"  {alias:<9} DOWN  {s['error']}"))
                continue
            line = (
                f"  {alias:<9} up    replayed {s['replay_lsn']}  lag {s['lag_bytes']} bytes / "
                f"{s['lag_seconds']} s{'  REPLAY PAUSED' if s['paused'] else ''}"
                f"{'' if s['serving_reads'] else '  (not serving reads)'}"
            )
            self.stdout.write(ok(line) if s["serving_reads"] else bad(line))
        for name in ("redis", "broker"):
            part = report[name]
            self.stdout.write(ok(f"  {name:<9} up") if part["up"] else bad(f"  {name:<9} DOWN  {part['error']}"))
        for name, p in report.get("projections", {}).items():
            if not isinstance(p, dict):
                continue
            recon = p.get("reconciliation") or {}
            verdict = "" if not recon else (" drift found" if recon.get("drift") else " no drift")
            self.stdout.write(
                f"  {name:<17} stale {p.get('stale_seconds')} s, {p.get('refreshes', 0)} refreshes, "
                f"last {p.get('last_refresh_ms', 0)} ms{verdict}"
            )
        worker = report["worker"]
        if worker["last_heartbeat"]:
            self.stdout.write(f"  worker    last heartbeat {worker['last_heartbeat']} ({worker['age_seconds']} s ago)")
        else:
            self.stdout.write(bad("  worker    no heartbeat yet"))
        self._cluster(report, ok, bad)

    def _cluster(self, report, ok, bad):
        """Patroni's members (role, state, lag), the synchronous standby, the WAL archive, the last backup."""
        members = report["cluster"]
        if not members["up"]:
            self.stdout.write(bad(f"  cluster   UNKNOWN  {members['error']}"))
        else:
            sync = ", ".join(members["synchronous_standby"]) or "NONE (writes are refused)"
            paused = "  MAINTENANCE MODE (no automatic failover)" if members["paused"] else ""
            line = f"  cluster   primary {members['primary']}, synchronous standby {sync}{paused}"
            self.stdout.write(ok(line) if members["synchronous_standby"] and not paused else bad(line))
            for m in members["members"]:
                lag = "" if m["lag_bytes"] is None else f"  lag {m['lag_bytes']} bytes"
                where = f"{m['host']}  tl {m['timeline']}{lag}"
                self.stdout.write(f"    {m['name']:<7} {m['role']:<13} {m['state']:<9} {where}")
        archive = report["archive"]
        if not archive["up"]:
            self.stdout.write(bad(f"  archive   UNKNOWN  {archive['error']}"))
        else:
            line = (
                f"  archive   {archive['archived']} WAL files archived, last {archive['last_archived_wal']} at "
                f"{archive['last_archived_at']}; {archive['failed']} failures"
            )
            self.stdout.write(bad(line + "  FAILING NOW") if archive["failing"] else ok(line))
        backup = report["backup"]
        if not backup["known"]:
            self.stdout.write(bad(f"  backup    UNKNOWN  {backup['error']}"))
        elif not backup["last"]:
            self.stdout.write(bad("  backup    none yet (make backup)"))
        else:
            line = (
                f"  backup    last {backup['last']} ({backup['type']}) ended {backup['ended_at']}, "
                f"{backup['age_hours']} h ago; {backup['count']} in the repository"
            )
            self.stdout.write(ok(line) if backup["age_hours"] < 26 else bad(line + "  OLDER THAN A DAY"))
