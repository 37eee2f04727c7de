#!/usr/bin/env bash
# A PostgreSQL 15 + PostGIS cluster on loopback for trying Wangge on PostGIS (not for production:
# trust authentication on 127.0.0.1 only). Usage: scripts/pg-cluster.sh start|stop [DIR] [PORT]
#        scripts/pg-cluster.sh standby DIR PORT PRIMARY_PORT   (a hot standby: pg_basebackup -R)
# Prints the URL to give as --db (or --read-db). As root, the cluster runs as the `postgres` user.
set -euo pipefail
cmd=${1:-start}; dir=$(realpath -m "${2:-var/pg}"); port=${3:-5433}
bin=/usr/lib/postgresql/15/bin
[ -x $bin/initdb ] || "$(dirname "$0")/setup.sh" postgresql-15 postgresql-15-postgis-3
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
case "$cmd" in
  start)
    if [ ! -d "$dir/data" ]; then
      mkdir -p "$dir"; [ ${#as[@]} -gt 0 ] && chown postgres "$dir"
      (cd /tmp && "${as[@]}" $bin/initdb -D "$dir/data" -A trust -U wangge -E UTF8 --locale=C >/dev/null)
    fi
    (cd /tmp && "${as[@]}" $bin/pg_ctl -D "$dir/data" -l "$dir/log" -w \
       -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null)
    echo "postgresql://wangge@127.0.0.1:$port/wangge" ;;
  standby)
    primary=${4:?give the primary port}
    if [ ! -d "$dir/data" ]; then
      mkdir -p "$dir"; [ ${#as[@]} -gt 0 ] && chown postgres "$dir"
      (cd /tmp && "${as[@]}" $bin/pg_basebackup -h 127.0.0.1 -p "$primary" -U wangge -D "$dir/data" -R -X stream --checkpoint=fast)
    fi
    (cd /tmp && "${as[@]}" $bin/pg_ctl -D "$dir/data" -l "$dir/log" -w \
       -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null)
    echo "postgresql://wangge@127.0.0.1:$port/wangge" ;;
  stop) (cd /tmp && "${as[@]}" $bin/pg_ctl -D "$dir/data" -w stop >/dev/null) ;;
  *) echo "usage: $0 start|stop [DIR] [PORT] | standby DIR PORT PRIMARY_PORT" >&2; exit 2 ;;
esac
