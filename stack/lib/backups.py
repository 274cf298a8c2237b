"""Reads `pgbackrest info --output=json` (stdin) for stack.sh (standard library only).

    backups.py last            the newest backup: label, type, end time, size
    backups.py plan TARGET     the backup set to restore TARGET from ("label type segments"), or a clear
                               error; segments: WAL segments archived from that backup's start on (at most replayed)
TARGET is a time with its time zone ("2026-12-01 10:15:00+00") or "immediate" (the end of the newest backup).
"""

import datetime
import json
import sys

UTC = datetime.UTC


def backups(info: list) -> list[dict]:
    return sorted((b for stanza in info for b in stanza.get("backup", [])), key=lambda b: b["timestamp"]["stop"])


def when(epoch: int) -> str:
    return datetime.datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S+00")


def describe(b: dict) -> str:
    size = b.get("info", {}).get("size", 0)
    return f"{b['label']} ({b['type']}, ended {when(b['timestamp']['stop'])}, database {size / 1e6:.0f} MB)"


def parse_target(text: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise SystemExit(f"[stack] error: '{text}' is not a time (use e.g. \"2026-12-01 10:15:00+00\")") from None
    if value.tzinfo is None:
        raise SystemExit(f"[stack] error: '{text}' has no time zone (add one, e.g. +00)")
    return value


def segment_number(name: str) -> int:
    """A WAL segment's position, whatever its timeline (16 MB segments: 256 per log file)."""
    return int(name[8:16], 16) * 256 + int(name[16:24], 16)


def wal_after(info: list, backup: dict) -> int:
    """How many WAL segments the archive holds from the backup's first one on: the most a restore replays."""
    newest = max((a["max"] for stanza in info for a in stanza.get("archive", []) if a.get("max")), default=None)
    start = backup.get("archive", {}).get("start")
    return max(0, segment_number(newest) - segment_number(start) + 1) if newest and start else 0


def plan(items: list[dict], target: str, info: list | None = None) -> str:
    if not items:
        raise SystemExit("[stack] error: there is no backup yet (make backup)")
    if target == "immediate":
        return f"{items[-1]['label']} {items[-1]['type']} 0"
    at = parse_target(target)
    now = datetime.datetime.now(UTC)
    if at > now:
        raise SystemExit(
            f"[stack] error: {at.isoformat()} is in the future (now {now:%Y-%m-%d %H:%M:%S+00}); nothing was touched"
        )
    usable = [b for b in items if b["timestamp"]["stop"] <= at.timestamp()]
    if not usable:
        oldest = when(items[0]["timestamp"]["stop"])
        raise SystemExit(
            f"[stack] error: {at.isoformat()} is before the oldest backup (which ends at {oldest}); nothing was touched"
        )
    return f"{usable[-1]['label']} {usable[-1]['type']} {wal_after(info or [], usable[-1])}"


def main(argv: list[str]) -> int:
    info = json.load(sys.stdin)
    items = backups(info)
    if argv[0] == "last":
        print(describe(items[-1]) if items else "no backup")
    elif argv[0] == "plan":
        print(plan(items, argv[1], info))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
