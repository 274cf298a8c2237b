"""What Patroni says about the cluster, for stack.sh (standard library only; Debian's python3).

    members.py cluster URL...   one line per member: name role state port lag timeline
    members.py leader URL...    the leader's name (exit 1 when there is none)
    members.py sync URL...      the synchronous standbys' names, one per line
URLs are the nodes' REST APIs; the first that answers is asked.
"""

import json
import sys
import urllib.request


def cluster(urls: list[str]) -> dict:
    for url in urls:
        try:
            with urllib.request.urlopen(f"{url}/cluster", timeout=1) as response:  # noqa: S310 (loopback)
                return json.load(response)
        except (OSError, ValueError):
            continue
    return {"members": []}


def main(command: str, urls: list[str]) -> int:
    members = cluster(urls).get("members", [])
    if command == "cluster":
        for m in sorted(members, key=lambda m: m["name"]):
            lag = m.get("lag", "")
            print(m["name"], m.get("role"), m.get("state"), m.get("port"), lag if lag != "" else "-", m.get("timeline"))
        return 0
    if command == "leader":
        leaders = [m["name"] for m in members if m.get("role") in ("leader", "master")]
        if leaders:
            print(leaders[0])
            return 0
        return 1
    if command == "sync":
        for m in members:
            if m.get("role") == "sync_standby":
                print(m["name"])
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
