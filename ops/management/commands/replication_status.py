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
