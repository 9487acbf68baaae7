#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests.
#
#   .ci/pg-start.sh DIR          start a cluster in the empty directory DIR and
#                                print its URL (for HARVEST_TEST_PG)
#   .ci/pg-start.sh --stop DIR   stop it and remove DIR
#
# The cluster runs as an unprivileged user (nobody, when run as root: the
# server refuses to run as root), listens on 127.0.0.1 on a free port and on a
# socket in DIR, trusts local connections (it holds test data only) and
# skips fsync. Debian's postgresql package is installed when initdb is missing.
set -euo pipefail

pgbin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ]; then echo "$d"; return; fi
	done
	if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
	return 1
}

as_owner() { # runs "$@" as the cluster's owner
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

if [ "${1:-}" = --stop ]; then
	dir=$2
	bin=$(pgbin)
	as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	exit 0
fi

dir=${1:?usage: pg-start.sh DIR | --stop DIR}
if ! bin=$(pgbin); then
	apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
	bin=$(pgbin)
fi
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
	chown nobody "$dir"
	chmod 700 "$dir"
fi
as_owner "$bin/initdb" -D "$dir/data" -U harvest --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
	{ cat "$dir/initdb.log" >&2; exit 1; }
for try in 1 2 3 4 5 6 7 8; do
	port=$((20000 + RANDOM % 30000))
	if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null 2>&1; then
		echo "postgres://harvest@127.0.0.1:$port/postgres?sslmode=disable"
		exit 0
	fi
done
cat "$dir/server.log" >&2
exit 1
