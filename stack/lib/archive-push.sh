#!/bin/sh
# PostgreSQL's archive_command on every node: pgBackRest archive-push of one WAL segment. PostgreSQL runs
# it in its data folder with a relative %p; Patroni (before a pg_rewind) with an absolute one.
# Usage: archive-push.sh CONFIG STANZA %p
#
# One exception is accepted: a segment of an *earlier* timeline that the repository already holds with other
# contents. A node that rejoined after a failover (pg_rewind) can carry a stale copy of such a segment, marked
# ready to archive; the archive's copy came from that timeline's primary and is the true one. Refusing it
# forever would stop all archiving on this node once it is primary again. Segments of the current timeline
# are never waved through.
config=$1 stanza=$2 wal=$3
case "$wal" in /*) data=$(dirname "$(dirname "$wal")") ;; *) data=$PWD ;; esac
out=$(pgbackrest --config="$config" --stanza="$stanza" --pg1-path="$data" archive-push "$wal" 2>&1) && exit 0
case "$out" in *"[045]"*) ;; *) printf '%s\n' "$out" >&2; exit 1 ;; esac
segment=$(basename "$wal")
current=$(ls "$data/pg_wal" 2>/dev/null | sed -n 's/^\([0-9A-F]\{8\}\)\.history$/\1/p' | sort | tail -n 1)
[ -n "$current" ] || current=00000001
if [ "$(printf '%s' "$segment" | cut -c1-8)" \< "$current" ]; then
  echo "archive-push: $segment (timeline before $current) is already archived from its own primary; stale copy skipped" >&2
  exit 0
fi
printf '%s\n' "$out" >&2
exit 1
