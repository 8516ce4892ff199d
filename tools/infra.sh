#!/usr/bin/env bash
# Local infrastructure for the usersys monorepo, without Docker:
# Redis, PostgreSQL, Kafka (KRaft) and Jaeger v2 as plain processes on 127.0.0.1.
#
#   tools/infra.sh up [--kafka-cluster]   start (idempotent), wait until ready, print URLs
#   tools/infra.sh up --docker            the same from docker-compose.yml (needs a Docker engine)
#   tools/infra.sh down                   stop what we started (graceful, then SIGKILL)
#   tools/infra.sh status                 one line per service (exit 3 if something is down)
#   tools/infra.sh logs [service]         last 100 lines of the log(s)
#   tools/infra.sh reset                  down + wipe the data
#   tools/infra.sh env                    print the connection variables as shell exports
#
# Everything lives in <repo>/.data: <svc>/ data, logs/<svc>.log, run/<svc>.pid.
# Downloads and builds (Kafka jars, Jaeger binary) are cached in ${USERSYS_CACHE:-~/.cache/usersys},
# so another clone on the same machine starts without any network access.
#
# Environment:
#   INFRA_SERVICES   subset to act on (default "redis postgres kafka jaeger")
#   REDIS_PORT (6379) PG_PORT (5432) KAFKA_PORT (9092) KAFKA_CONTROLLER_PORT (9093)
#   REDIS_USER (usersys) REDIS_PASSWORD (the development one in libs/config): Redis's only ACL user
#     (the `default` user is off); clients connect with redis://$REDIS_USER:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT
#   JAEGER_UI_PORT (16686) JAEGER_OTLP_GRPC_PORT (4317) JAEGER_OTLP_HTTP_PORT (4318)
#   JAEGER_THRIFT_HTTP_PORT (14268) JAEGER_QUERY_GRPC_PORT (16685)
#   INFRA_DATA_DIR (<repo>/.data)
#   KAFKA_VERSION (try 3.9.2 then 3.9.1)  KAFKA_HEAP ("-Xms512m -Xmx1g")  PG_BIN (auto)
#
# Errors end in ONE line on stderr: "infra: <what> failed|missing: <why>; see <logfile>".
set -Eeuo pipefail

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# INFRA_DATA_DIR: another data directory, e.g. a private instance for a test that stops or kills it
DATA=${INFRA_DATA_DIR:-$REPO/.data}
LOGS=$DATA/logs
RUN=$DATA/run
CACHE=${USERSYS_CACHE:-$HOME/.cache/usersys}

ALL_SERVICES="redis postgres kafka jaeger"
SERVICES=${INFRA_SERVICES:-$ALL_SERVICES}

REDIS_PORT=${REDIS_PORT:-6379}
# Keep in step with DEV_REDIS_USER / DEV_REDIS_PASSWORD in libs/config/src/infra.ts (the default REDIS_URL).
REDIS_USER=${REDIS_USER:-usersys}
REDIS_PASSWORD=${REDIS_PASSWORD:-usersys-dev-redis-pw}
PG_PORT=${PG_PORT:-5432}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
# Exported because infra/jaeger/config.yaml reads them via ${env:...}.
export JAEGER_UI_PORT=${JAEGER_UI_PORT:-16686}
export JAEGER_QUERY_GRPC_PORT=${JAEGER_QUERY_GRPC_PORT:-16685}
export JAEGER_OTLP_GRPC_PORT=${JAEGER_OTLP_GRPC_PORT:-4317}
export JAEGER_OTLP_HTTP_PORT=${JAEGER_OTLP_HTTP_PORT:-4318}
export JAEGER_THRIFT_HTTP_PORT=${JAEGER_THRIFT_HTTP_PORT:-14268}

PG_USER=usersys PG_PASSWORD=usersys PG_DATABASES="usersys usersys_test"

# Kafka: first version that resolves on Maven Central wins (and is then cached).
KAFKA_VERSIONS=${KAFKA_VERSION:-"3.9.2 3.9.1"}
KAFKA_HEAP=${KAFKA_HEAP:-"-Xms512m -Xmx1g"}
KAFKA_MODE=single                       # or "cluster" with `up --kafka-cluster`
# topic:partitions (replication factor: 1 single node, 3 in cluster mode)
KAFKA_TOPICS="user.events.v1:6 user.retry.v1:6 user.dlq.v1:3 user.login-audit.v1:3"

# Jaeger v2 is built from the Go module github.com/jaegertracing/jaeger. Its v2 releases
# are not Go-module versions; the proxy only has the v1.x tags cut from the same commits:
# the pseudo-version below is the Jaeger v2.20.0 commit, tag v1.76.0 == Jaeger v2.13.0.
# First one that the module proxy serves wins (some proxies refuse the pseudo-version).
JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_VERSIONS="v1.76.1-0.20260720033334-798e4b0fcf22:v2.20.0 v1.76.0:v2.13.0"

APT_UPDATED=""

# ---------------------------------------------------------------------------------------
# output and errors

say() { printf 'infra: %s\n' "$*"; }

# die <what> <failed|missing> <why> [logfile] -- the one error line, then exit 1
die() {
  local msg="infra: $1 $2: $3"
  [[ -n ${4:-} ]] && msg+="; see $4"
  printf '%s\n' "$msg" >&2
  exit 1
}

# Anything that fails without a die() still ends in a single clear line.
on_error() {
  (($1 == 141)) && exit 141   # SIGPIPE: our output was piped into e.g. `head`; not an error
  printf 'infra: tools/infra.sh failed: unexpected error (exit %s) at line %s: %s; see %s\n' \
    "$1" "$2" "$3" "$LOGS" >&2
  exit 1
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR

usage() {
  sed -n '2,/^set -E/p' "${BASH_SOURCE[0]}" | sed -e '/^set -E/d' -e 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------------------------------
# generic helpers

is_root() { (( EUID == 0 )); }

selected() { [[ " $SERVICES " == *" $1 "* ]]; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Who listens on a port (best effort, for error messages only).
port_owner() {
  command -v ss >/dev/null || return 0
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*)' | head -n1 |
    sed -e 's/users:((//' -e 's/)$//' -e 's/,fd=[0-9]*//' -e 's/"//g' || true
}

# require_free_port <svc> <port> <env var> <log>: refuse to start on a port someone else holds
require_free_port() {
  port_open "$2" || return 0
  local owner
  owner=$(port_owner "$2")
  die "$1" failed "127.0.0.1:$2 is already in use by another process${owner:+ ($owner)}; stop it or set $3" "$4"
}

# alive <pid>: running and not a zombie (there may be no init here to reap our daemons)
alive() {
  local stat
  [[ $1 =~ ^[0-9]+$ ]] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}
dead() { ! alive "$1"; }

# pid_matching <pidfile> <cmdline substring>: print the pid if that process is ours and alive
# (the substring check protects against pid reuse after a reboot or a crash)
pid_matching() {
  local pid cmdline
  pid=$(head -n1 "$1" 2>/dev/null) || return 1
  alive "$pid" || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$2"* ]] || return 1
  printf '%s\n' "$pid"
}

# spawn <name> <logfile> <cmd...>: start a long-running process detached in its own
# session (so it survives this shell and terminal hang-ups); its pid goes to run/<name>.pid.
# Daemons must not inherit fd 9 (the lock): they would hold the lock for their lifetime.
spawn() {
  local name=$1 logf=$2 pidf=$RUN/$1.pid i
  shift 2
  rm -f "$pidf"
  printf '\n===== %s starting %s =====\n' "$(date -Is)" "$name" >>"$logf"
  # shellcheck disable=SC2016 # expanded by the inner bash: it records its own pid, then execs
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" >>"$logf" 2>&1 </dev/null 9>&- &
  for ((i = 0; i < 50; i++)); do [[ -s $pidf ]] && return 0; sleep 0.1; done
  die "$name" failed "process did not start" "$logf"
}

# wait_until <seconds> <pid or ""> <cmd...>: poll until cmd succeeds.
# Returns 1 on timeout, 2 as soon as the given pid has died (no point waiting longer).
wait_until() {
  local deadline=$((SECONDS + $1)) pid=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pid ]] && ! alive "$pid"; then return 2; fi
    ((SECONDS < deadline)) || return 1
    sleep 0.25
  done
}

# stop_pid <name> <pid> <timeout>: SIGTERM (graceful), wait, then SIGKILL
stop_pid() {
  local name=$1 pid=$2 timeout=$3
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$timeout" "" dead "$pid"; then
    say "$name did not stop within ${timeout}s, killing it (pid $pid)"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 "" dead "$pid" || die "$name" failed "pid $pid survives SIGKILL" "$LOGS"
  fi
}

# apt_install <what> <package...>: install missing Debian packages (root only; apt-get update
# once; --no-upgrade so an installed package is never upgraded under a running server)
apt_install() {
  local what=$1 log=$LOGS/apt.log
  shift
  is_root || die "$what" missing "not installing as non-root; run: sudo apt-get install -y $*"
  command -v apt-get >/dev/null || die "$what" missing "no apt-get here; install $* yourself"
  say "installing $* with apt-get (log: $log)"
  if [[ -z $APT_UPDATED ]]; then
    apt-get update >>"$log" 2>&1 || die "$what" failed "apt-get update failed" "$log"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends --no-upgrade "$@" >>"$log" 2>&1 ||
    die "$what" failed "apt-get install $* failed" "$log"
}

# need_cmd <command> <debian package>: install the package when the command is missing
need_cmd() {
  command -v "$1" >/dev/null && return 0
  apt_install "$1" "$2"
  command -v "$1" >/dev/null || die "$1" missing "package $2 installed but $1 is still not on PATH" "$LOGS/apt.log"
}

init_dirs() {
  mkdir -p "$DATA" "$LOGS" "$RUN"
  # .data must never be committed, whatever the repo's .gitignore says
  [[ -f $DATA/.gitignore ]] || printf '*\n' >"$DATA/.gitignore"
}

# One infra.sh at a time changes things (two parallel `up`s would race on ports/pids).
take_lock() {
  exec 9>"$RUN/.lock"
  flock -w 600 9 || die "tools/infra.sh" failed "another infra.sh holds $RUN/.lock for 10 minutes" "$LOGS"
}

# ---------------------------------------------------------------------------------------
# Redis: our own redis-server (never the system service), AOF persistence in .data/redis

REDIS_DIR=$DATA/redis
REDIS_LOG=$LOGS/redis.log

redis_pid() { pid_matching "$RUN/redis.pid" "redis-server"; }

# Plain RESP over bash's /dev/tcp, so readiness does not depend on redis-cli: AUTH as the ACL
# user, then PING (the second reply must be +PONG).
redis_ping() {
  (
    export LC_ALL=C # ${#var} in bytes
    exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT"
    printf '*3\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\nPING\r\n' "${#REDIS_USER}" "$REDIS_USER" "${#REDIS_PASSWORD}" "$REDIS_PASSWORD" >&3
    IFS= read -r -t 2 _auth <&3
    IFS= read -r -t 2 reply <&3
    [[ $reply == "+PONG"* ]]
  ) 2>/dev/null
}

redis_cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --user "$REDIS_USER" --pass "$REDIS_PASSWORD" --no-auth-warning "$@"; }

redis_prepare() { need_cmd redis-server redis-server; }

redis_start() {
  redis_pid >/dev/null && return 0
  require_free_port redis "$REDIS_PORT" REDIS_PORT "$REDIS_LOG"
  mkdir -p "$REDIS_DIR"
  local pw_sha
  pw_sha=$(printf '%s' "$REDIS_PASSWORD" | sha256sum | cut -d' ' -f1)
  cat >"$REDIS_DIR/redis.conf" <<EOF
# generated by tools/infra.sh
port $REDIS_PORT
bind 127.0.0.1
protected-mode yes
# Clients authenticate as one ACL user (password stored as its SHA-256); nobody gets in without it.
user default off
user $REDIS_USER on #$pw_sha ~* &* +@all
dir $REDIS_DIR
appendonly yes
appendfsync everysec
daemonize yes
pidfile $RUN/redis.pid
logfile $REDIS_LOG
EOF
  redis-server "$REDIS_DIR/redis.conf" >>"$REDIS_LOG" 2>&1 9>&- ||
    die redis failed "redis-server did not start" "$REDIS_LOG"
}

redis_wait() {
  wait_until 20 "" redis_ping ||
    die redis failed "no PONG from 127.0.0.1:$REDIS_PORT within 20s" "$REDIS_LOG"
  say "redis     ready on 127.0.0.1:$REDIS_PORT"
}

redis_stop() {
  local pid
  pid=$(redis_pid) || return 0
  # SHUTDOWN flushes the AOF; SIGTERM (in stop_pid) does the same if redis-cli is absent.
  if command -v redis-cli >/dev/null; then
    redis_cli shutdown >/dev/null 2>&1 || true
  fi
  stop_pid redis "$pid" 20
  rm -f "$RUN/redis.pid"
  say "redis stopped"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL: own cluster in .data/postgres. Postgres refuses to run as root, so as root
# everything server-side runs as the `postgres` system user.

PG_DATA=$DATA/postgres
PG_LOG=$LOGS/postgres.log
# Unix socket inside .data (a socket path must stay below ~107 bytes, else use /tmp).
PG_SOCKDIR=$RUN/postgres
((${#PG_SOCKDIR} < 90)) || PG_SOCKDIR=/tmp/usersys-pg-$(printf '%s' "$DATA" | md5sum | cut -c1-10)
PG_BIN=${PG_BIN:-}

# Newest /usr/lib/postgresql/<ver>/bin with initdb, else an initdb on PATH.
pg_find_bin() {
  [[ -n $PG_BIN && -x $PG_BIN/initdb ]] && return 0
  local d
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -V -r); do
    [[ -x $d/initdb && -x $d/pg_ctl ]] && { PG_BIN=$d; return 0; }
  done
  command -v initdb >/dev/null || return 1
  PG_BIN=$(dirname -- "$(readlink -f -- "$(command -v initdb)")")
}

as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

# psql as the superuser through our Unix socket (trust auth there, socket dir is 0700)
pg_super_psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres "$@"; }

pg_pid() {
  local pid
  pid=$(pid_matching "$PG_DATA/postmaster.pid" "$PG_DATA") || return 1
  printf '%s\n' "$pid" >"$RUN/postgres.pid"   # mirror for humans; postmaster.pid is the truth
  printf '%s\n' "$pid"
}

postgres_prepare() {
  pg_find_bin || apt_install postgres postgresql
  pg_find_bin || die postgres missing "no initdb in /usr/lib/postgresql/*/bin or on PATH" "$LOGS/apt.log"
  [[ -x $PG_BIN/psql && -x $PG_BIN/pg_isready ]] ||
    die postgres missing "psql/pg_isready not found in $PG_BIN (package postgresql-client)"
  if is_root; then
    id postgres >/dev/null 2>&1 || die postgres missing "running as root needs the 'postgres' system user (created by the postgresql package)"
  fi
}

# As root, the postgres user must be able to walk down to .data/postgres: open up (o+x)
# the parent directories that are closed (e.g. /root when the repo lives in /root).
pg_make_traversable() {
  is_root || return 0
  runuser -u postgres -- test -x "$DATA" && return 0
  local d=$DATA
  while [[ $d != / ]]; do
    if ! (( 8#$(stat -c %a "$d") & 1 )); then   # no execute bit for "other"
      chmod o+x "$d"
      say "note: chmod o+x $d so the postgres user can reach $PG_DATA"
    fi
    d=$(dirname -- "$d")
  done
  runuser -u postgres -- test -x "$DATA" ||
    die postgres failed "user postgres cannot access $DATA (check permissions/ACLs of its parent dirs)"
}

pg_init() {
  [[ -s $PG_DATA/PG_VERSION ]] && return 0
  say "postgres  initialising $PG_DATA"
  rm -rf "$PG_DATA"
  mkdir -p "$PG_DATA"
  chmod 700 "$PG_DATA"
  is_root && chown postgres:postgres "$PG_DATA" "$PG_LOG"
  # local (socket) = trust: only our OS user can open the 0700 socket dir;
  # TCP = scram passwords, used by the services.
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --encoding=UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 >>"$PG_LOG" 2>&1 ||
    die postgres failed "initdb failed" "$PG_LOG"
  printf "\n# dev settings written by tools/infra.sh\ninclude_if_exists = 'usersys.conf'\n" >>"$PG_DATA/postgresql.conf"
}

postgres_start() {
  pg_pid >/dev/null && return 0
  require_free_port postgres "$PG_PORT" PG_PORT "$PG_LOG"
  touch "$PG_LOG"
  is_root && chown postgres:postgres "$PG_LOG"   # pg_ctl (as postgres) appends to it
  pg_make_traversable
  pg_init
  cat >"$PG_DATA/usersys.conf" <<EOF
# generated by tools/infra.sh on every start
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKDIR'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 256MB
fsync = on
EOF
  mkdir -p "$PG_SOCKDIR"
  chmod 700 "$PG_SOCKDIR"
  is_root && chown postgres:postgres "$PG_DATA/usersys.conf" "$PG_SOCKDIR"
  # -w: pg_ctl waits for the server itself and reports a failed start properly
  as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 >>"$PG_LOG" 2>&1 9>&- ||
    die postgres failed "pg_ctl start failed" "$PG_LOG"
}

# Role and databases, created only when missing (nothing is altered on later runs).
pg_bootstrap() {
  local db
  {
    printf "SELECT 'CREATE ROLE %s LOGIN CREATEDB PASSWORD ''%s''' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s')\\\\gexec\n" \
      "$PG_USER" "$PG_PASSWORD" "$PG_USER"
    for db in $PG_DATABASES; do
      printf "SELECT 'CREATE DATABASE %s OWNER %s' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '%s')\\\\gexec\n" \
        "$db" "$PG_USER" "$db"
    done
  } | pg_super_psql -d postgres >>"$PG_LOG" 2>&1
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

postgres_wait() {
  wait_until 60 "" pg_ready || die postgres failed "pg_isready: no answer on 127.0.0.1:$PG_PORT within 60s" "$PG_LOG"
  pg_bootstrap || die postgres failed "could not create role/databases $PG_USER/$PG_DATABASES" "$PG_LOG"
  local db out
  for db in $PG_DATABASES; do   # the real check: what the services do, over TCP with a password
    out=$(PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -tA -h 127.0.0.1 -p "$PG_PORT" \
      -U "$PG_USER" -d "$db" -c 'SELECT 1' 2>>"$PG_LOG") || true
    [[ $out == 1 ]] || die postgres failed "$PG_USER cannot run a query in database $db over TCP" "$PG_LOG"
  done
  pg_pid >/dev/null || true
  say "postgres  ready on 127.0.0.1:$PG_PORT (PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}'))"
}

postgres_stop() {
  local pid
  pid=$(pg_pid) || { rm -f "$RUN/postgres.pid"; return 0; }
  pg_find_bin || true
  # fast = roll back open transactions, disconnect clients, clean shutdown checkpoint
  if [[ -n $PG_BIN ]]; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 30 >>"$PG_LOG" 2>&1 || true
  fi
  stop_pid postgres "$pid" 10
  rm -f "$RUN/postgres.pid"
  say "postgres stopped"
}

# ---------------------------------------------------------------------------------------
# Kafka (KRaft, no ZooKeeper) from the Maven Central jars, resolved by infra/kafka/pom.xml.
# Single mode: one combined broker+controller in .data/kafka.
# Cluster mode (--kafka-cluster): three combined nodes in .data/kafka-cluster.

KAFKA_LIBS=""
KAFKA_VER=""
KAFKA_TOOLS_LOG=$LOGS/kafka-tools.log
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

kafka_dir() { if [[ $1 == cluster ]]; then echo "$DATA/kafka-cluster"; else echo "$DATA/kafka"; fi; }
kafka_nodes() { if [[ $1 == cluster ]]; then echo "1 2 3"; else echo "1"; fi; }
kafka_name() { if [[ $1 == cluster ]]; then echo "kafka-$2"; else echo "kafka"; fi; }
kafka_props() { if [[ $1 == cluster ]]; then echo "$DATA/kafka-cluster/node-$2/server.properties"; else echo "$DATA/kafka/server.properties"; fi; }
kafka_port() { echo $((KAFKA_PORT + 2 * ($2 - 1))); }
kafka_ctl_port() { echo $((KAFKA_CONTROLLER_PORT + 2 * ($2 - 1))); }
kafka_log() { echo "$LOGS/$(kafka_name "$1" "$2").log"; }
kafka_node_pid() { pid_matching "$RUN/$(kafka_name "$1" "$2").pid" "kafka.Kafka $(kafka_props "$1" "$2")"; }

kafka_bootstrap() {
  local mode=$1 n out=""
  for n in $(kafka_nodes "$mode"); do out+="${out:+,}127.0.0.1:$(kafka_port "$mode" "$n")"; done
  echo "$out"
}

# Which mode is running right now ("single", "cluster" or nothing)?
kafka_running_mode() {
  local mode n
  for mode in single cluster; do
    for n in $(kafka_nodes "$mode"); do
      kafka_node_pid "$mode" "$n" >/dev/null && { echo "$mode"; return 0; }
    done
  done
  return 1
}

# Short-lived CLI JVMs: client-style flags make them start noticeably faster.
kafka_tool() {
  "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto \
    -Dlog4j.configuration="file:$REPO/infra/kafka/tools-log4j.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# Fetch the jars once into the cache; the first version Maven Central resolves wins.
kafka_prepare() {
  need_cmd "$JAVA" openjdk-17-jre-headless
  local v
  for v in $KAFKA_VERSIONS; do
    if [[ -f $CACHE/kafka-$v/.complete ]]; then KAFKA_VER=$v KAFKA_LIBS=$CACHE/kafka-$v/libs; return 0; fi
  done
  need_cmd mvn maven
  local log=$LOGS/kafka-fetch.log tmp
  for v in $KAFKA_VERSIONS; do
    say "kafka     fetching Apache Kafka $v jars from Maven Central (once; log: $log)"
    tmp=$CACHE/kafka-$v/libs.tmp
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # maven.repo.local inside the cache: one place to delete, nothing in ~/.m2
    if mvn -B -q -f "$REPO/infra/kafka/pom.xml" -Dkafka.version="$v" -Dmaven.repo.local="$CACHE/m2" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >>"$log" 2>&1 &&
      compgen -G "$tmp/kafka_2.13-$v.jar" >/dev/null; then
      rm -rf "$CACHE/kafka-$v/libs"
      mv "$tmp" "$CACHE/kafka-$v/libs"
      touch "$CACHE/kafka-$v/.complete"
      KAFKA_VER=$v KAFKA_LIBS=$CACHE/kafka-$v/libs
      return 0
    fi
    rm -rf "$CACHE/kafka-$v"
  done
  die kafka missing "could not fetch Kafka ($KAFKA_VERSIONS) from Maven Central" "$log"
}

# Kafka ids are 16 random bytes in unpadded base64url (what `StorageTool random-uuid`
# prints), generated here to save a JVM start. Kafka rejects ids starting with "-".
kafka_new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [[ $id == -* ]] || break
  done
  echo "$id"
}

kafka_write_props() {
  local mode=$1 n=$2 dir voters="" i rf=1 isr=1
  dir=$(dirname -- "$(kafka_props "$mode" "$n")")
  for i in $(kafka_nodes "$mode"); do voters+="${voters:+,}$i@127.0.0.1:$(kafka_ctl_port "$mode" "$i")"; done
  [[ $mode == cluster ]] && rf=3 isr=2
  mkdir -p "$dir"
  cat >"$(kafka_props "$mode" "$n")" <<EOF
# generated by tools/infra.sh ($mode mode, node $n)
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(kafka_port "$mode" "$n"),CONTROLLER://127.0.0.1:$(kafka_ctl_port "$mode" "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka_port "$mode" "$n")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
EOF
  # client settings for our CLI calls: fail in seconds, not the default minute
  printf 'request.timeout.ms=10000\ndefault.api.timeout.ms=20000\n' >"$(kafka_dir "$mode")/tools.properties"
}

# Format the KRaft storage of every node that has not been formatted yet (in parallel).
kafka_format() {
  local mode=$1 dir cid_file cid n pids=() failed=""
  dir=$(kafka_dir "$mode")
  cid_file=$dir/cluster-id
  [[ -s $cid_file ]] || kafka_new_cluster_id >"$cid_file"
  cid=$(<"$cid_file")
  for n in $(kafka_nodes "$mode"); do
    [[ -f $(dirname -- "$(kafka_props "$mode" "$n")")/data/meta.properties ]] && continue
    # "|| exit" keeps a failing background job from tripping the ERR trap in its subshell
    kafka_tool kafka.tools.StorageTool format --ignore-formatted -t "$cid" -c "$(kafka_props "$mode" "$n")" \
      >>"$(kafka_log "$mode" "$n")" 2>&1 || exit 1 &
    pids+=("$!:$n")
  done
  local p
  for p in ${pids[@]+"${pids[@]}"}; do wait "${p%%:*}" || failed+=" ${p##*:}"; done
  failed=${failed# }
  [[ -z $failed ]] || die kafka failed "StorageTool format failed for node(s) $failed" "$(kafka_log "$mode" "${failed%% *}")"
}

kafka_start() {
  local mode=$KAFKA_MODE other n running
  other=$([[ $mode == cluster ]] && echo single || echo cluster)
  if running=$(kafka_running_mode) && [[ $running == "$other" ]]; then
    say "kafka     switching from $other to $mode mode"
    kafka_stop_mode "$other"
  fi
  local todo=()
  for n in $(kafka_nodes "$mode"); do
    kafka_node_pid "$mode" "$n" >/dev/null && continue
    require_free_port "$(kafka_name "$mode" "$n")" "$(kafka_port "$mode" "$n")" KAFKA_PORT "$(kafka_log "$mode" "$n")"
    require_free_port "$(kafka_name "$mode" "$n")" "$(kafka_ctl_port "$mode" "$n")" KAFKA_CONTROLLER_PORT "$(kafka_log "$mode" "$n")"
    kafka_write_props "$mode" "$n"
    todo+=("$n")
  done
  ((${#todo[@]})) || return 0
  kafka_format "$mode"
  for n in "${todo[@]}"; do
    # shellcheck disable=SC2086 # KAFKA_HEAP holds several JVM flags
    spawn "$(kafka_name "$mode" "$n")" "$(kafka_log "$mode" "$n")" \
      "$JAVA" $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$REPO/infra/kafka/log4j.properties" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$(kafka_props "$mode" "$n")"
  done
}

# Create the topics that do not exist yet: one `--list`, then one JVM per missing topic,
# all in parallel. Retried because freshly started cluster brokers register a bit late.
kafka_ensure_topics() {
  local mode=$1 bootstrap cfg rf=1 existing="" missing spec attempt pids p failed=""
  bootstrap=$(kafka_bootstrap "$mode")
  cfg=$(kafka_dir "$mode")/tools.properties
  [[ $mode == cluster ]] && rf=3
  for attempt in 1 2 3 4 5 6; do
    if existing=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
      --command-config "$cfg" --list 2>>"$KAFKA_TOOLS_LOG"); then break; fi
    ((attempt < 6)) || die kafka failed "cannot list topics on $bootstrap (metadata not available)" "$KAFKA_TOOLS_LOG"
    sleep 2
  done
  for attempt in 1 2 3 4 5; do
    missing=()
    for spec in $KAFKA_TOPICS; do
      grep -qxF -- "${spec%%:*}" <<<"$existing" || missing+=("$spec")
    done
    ((${#missing[@]})) || return 0
    pids=()
    for spec in "${missing[@]}"; do
      kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --command-config "$cfg" \
        --create --if-not-exists --topic "${spec%%:*}" --partitions "${spec##*:}" --replication-factor "$rf" \
        >>"$KAFKA_TOOLS_LOG" 2>&1 || exit 1 &
      pids+=("$!:${spec%%:*}")
    done
    failed=""
    for p in "${pids[@]}"; do
      if wait "${p%%:*}"; then existing+=$'\n'"${p#*:}"; else failed+=" ${p#*:}"; fi
    done
    [[ -z $failed ]] && { say "kafka     created topics (name:partitions):$(printf ' %s' "${missing[@]}")"; return 0; }
    sleep 3
  done
  die kafka failed "could not create topic(s)$failed" "$KAFKA_TOOLS_LOG"
}

kafka_wait() {
  local mode=$KAFKA_MODE n pid rc
  for n in $(kafka_nodes "$mode"); do
    pid=$(kafka_node_pid "$mode" "$n") ||
      die "$(kafka_name "$mode" "$n")" failed "process exited during start-up" "$(kafka_log "$mode" "$n")"
    rc=0
    wait_until 120 "$pid" port_open "$(kafka_port "$mode" "$n")" || rc=$?
    ((rc != 2)) || die "$(kafka_name "$mode" "$n")" failed "process exited during start-up" "$(kafka_log "$mode" "$n")"
    ((rc == 0)) || die "$(kafka_name "$mode" "$n")" failed "port $(kafka_port "$mode" "$n") not open after 120s" "$(kafka_log "$mode" "$n")"
  done
  kafka_ensure_topics "$mode"
  say "kafka     ready on $(kafka_bootstrap "$mode") ($mode, Kafka $KAFKA_VER)"
}

kafka_stop_mode() {
  local mode=$1 n pid pids=()
  for n in $(kafka_nodes "$mode"); do
    if pid=$(kafka_node_pid "$mode" "$n"); then
      kill -TERM "$pid" 2>/dev/null || true   # all nodes at once: each one shuts down cleanly
      pids+=("$n:$pid")
    fi
  done
  local p
  for p in ${pids[@]+"${pids[@]}"}; do
    stop_pid "$(kafka_name "$mode" "${p%%:*}")" "${p#*:}" 45
    rm -f "$RUN/$(kafka_name "$mode" "${p%%:*}").pid"
  done
  ((${#pids[@]} == 0)) || say "kafka stopped ($mode)"
}

kafka_stop() { kafka_stop_mode single; kafka_stop_mode cluster; }

# ---------------------------------------------------------------------------------------
# Jaeger v2 all-in-one, in-memory storage, built once from the Go module into the cache.

JAEGER_LOG=$LOGS/jaeger.log
JAEGER_CONFIG=$REPO/infra/jaeger/config.yaml
JAEGER_BIN=""
JAEGER_LABEL=""

jaeger_pid() { pid_matching "$RUN/jaeger.pid" "--config $JAEGER_CONFIG"; }

# jaeger_build <module version> <label>: `go install` refuses this module (its go.mod has
# replace directives), so build inside a writable copy of the downloaded module instead.
jaeger_build() {
  local v=$1 label=$2 log=$LOGS/jaeger-build.log dir src out=$CACHE/jaeger-$1
  printf '\n===== %s go mod download %s@%s =====\n' "$(date -Is)" "$JAEGER_MODULE" "$v" >>"$log"
  # run outside any module so `go mod download` treats the argument as module@version
  dir=$(cd / && GOFLAGS='' go mod download -json "$JAEGER_MODULE@$v" 2>>"$log" | tee -a "$log" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') || true
  [[ -n $dir && -f $dir/go.mod ]] || return 1
  say "jaeger    building Jaeger $label ($JAEGER_MODULE@$v) with $(go env GOVERSION); takes minutes, once (log: $log)"
  src=$(mktemp -d "${TMPDIR:-/tmp}/jaeger-src.XXXXXX")
  cp -R "$dir/." "$src/"
  chmod -R u+w "$src"
  mkdir -p "$out"
  if (cd "$src" && GOFLAGS='' go build -trimpath \
    -ldflags "-X $JAEGER_MODULE/internal/version.latestVersion=$label -X $JAEGER_MODULE/internal/version.commitSHA=$v" \
    -o "$out/jaeger.tmp" ./cmd/jaeger) >>"$log" 2>&1; then
    mv "$out/jaeger.tmp" "$out/jaeger"
    rm -rf "$src"
    return 0
  fi
  rm -rf "$src" "$out/jaeger.tmp"
  die jaeger failed "go build of $JAEGER_MODULE@$v failed" "$log"
}

jaeger_prepare() {
  need_cmd curl curl
  local entry
  for entry in $JAEGER_VERSIONS; do   # a binary built earlier: no network at all
    if [[ -x $CACHE/jaeger-${entry%%:*}/jaeger ]]; then
      JAEGER_BIN=$CACHE/jaeger-${entry%%:*}/jaeger JAEGER_LABEL=${entry#*:}
      return 0
    fi
  done
  # Debian 12's golang (1.19) is too old for Jaeger, so no apt fallback here.
  command -v go >/dev/null ||
    die jaeger missing "Go toolchain not found (needed once to build Jaeger into $CACHE); install Go >= 1.24 from https://go.dev/dl and re-run"
  for entry in $JAEGER_VERSIONS; do
    if jaeger_build "${entry%%:*}" "${entry#*:}"; then
      JAEGER_BIN=$CACHE/jaeger-${entry%%:*}/jaeger JAEGER_LABEL=${entry#*:}
      return 0
    fi
    say "jaeger    Jaeger ${entry#*:} ($JAEGER_MODULE@${entry%%:*}) not available from the Go module proxy, trying the next version"
  done
  die jaeger missing "no Jaeger version could be downloaded ($JAEGER_VERSIONS)" "$LOGS/jaeger-build.log"
}

jaeger_ready() {
  [[ $(curl -fsS --max-time 2 "http://127.0.0.1:$JAEGER_UI_PORT/api/services" 2>/dev/null) == *'"data"'* ]] &&
    port_open "$JAEGER_OTLP_HTTP_PORT" && port_open "$JAEGER_OTLP_GRPC_PORT" && port_open "$JAEGER_THRIFT_HTTP_PORT"
}

jaeger_start() {
  jaeger_pid >/dev/null && return 0
  local p
  for p in JAEGER_UI_PORT JAEGER_QUERY_GRPC_PORT JAEGER_OTLP_GRPC_PORT JAEGER_OTLP_HTTP_PORT JAEGER_THRIFT_HTTP_PORT; do
    require_free_port jaeger "${!p}" "$p" "$JAEGER_LOG"
  done
  spawn jaeger "$JAEGER_LOG" "$JAEGER_BIN" --config "$JAEGER_CONFIG"
}

jaeger_wait() {
  local pid rc=0
  pid=$(jaeger_pid) || die jaeger failed "process exited during start-up" "$JAEGER_LOG"
  wait_until 60 "$pid" jaeger_ready || rc=$?
  ((rc != 2)) || die jaeger failed "process exited during start-up" "$JAEGER_LOG"
  ((rc == 0)) || die jaeger failed "no answer on http://127.0.0.1:$JAEGER_UI_PORT/api/services (or OTLP/thrift ports closed) after 60s" "$JAEGER_LOG"
  say "jaeger    ready on http://127.0.0.1:$JAEGER_UI_PORT (Jaeger $JAEGER_LABEL, in-memory)"
}

jaeger_stop() {
  local pid
  pid=$(jaeger_pid) || { rm -f "$RUN/jaeger.pid"; return 0; }
  stop_pid jaeger "$pid" 15
  rm -f "$RUN/jaeger.pid"
  say "jaeger stopped"
}

# ---------------------------------------------------------------------------------------
# commands

print_env() {
  local mode
  mode=$(kafka_running_mode) || mode=$KAFKA_MODE
  selected postgres && printf 'DATABASE_URL=postgresql://%s:%s@127.0.0.1:%s/usersys\nTEST_DATABASE_URL=postgresql://%s:%s@127.0.0.1:%s/usersys_test\n' \
    "$PG_USER" "$PG_PASSWORD" "$PG_PORT" "$PG_USER" "$PG_PASSWORD" "$PG_PORT"
  selected redis && printf 'REDIS_URL=redis://%s:%s@127.0.0.1:%s\n' "$REDIS_USER" "$REDIS_PASSWORD" "$REDIS_PORT"
  selected kafka && printf 'KAFKA_BROKERS=%s\n' "$(kafka_bootstrap "$mode")"
  selected jaeger && printf 'JAEGER_UI=http://127.0.0.1:%s\nOTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:%s\nJAEGER_THRIFT_ENDPOINT=http://127.0.0.1:%s/api/traces\n' \
    "$JAEGER_UI_PORT" "$JAEGER_OTLP_HTTP_PORT" "$JAEGER_THRIFT_HTTP_PORT"
  return 0
}

cmd_up() {
  local start=$SECONDS svc
  init_dirs
  take_lock
  # 1) install/download/build what is missing (sequential: apt and builds are heavy)
  for svc in $SERVICES; do "${svc}_prepare"; done
  # 2) start everything not yet running; Kafka first as its JVM takes longest to come up
  for svc in kafka jaeger redis postgres; do
    if selected "$svc"; then "${svc}_start"; fi
  done
  # 3) wait for each one to really answer (+ create role/databases/topics)
  for svc in redis postgres jaeger kafka; do
    if selected "$svc"; then "${svc}_wait"; fi
  done
  say "all up in $((SECONDS - start))s:"
  print_env | sed 's/^/  /'
}

cmd_down() {
  init_dirs
  take_lock
  local svc
  for svc in jaeger kafka postgres redis; do
    if selected "$svc"; then "${svc}_stop"; fi
  done
}

cmd_reset() {
  cmd_down
  local svc
  for svc in $SERVICES; do
    case $svc in
      redis) rm -rf "$DATA/redis" "$LOGS/redis.log" ;;
      postgres) rm -rf "$PG_DATA" "$LOGS/postgres.log" ;;
      kafka) rm -rf "$DATA/kafka" "$DATA/kafka-cluster" "$LOGS"/kafka*.log ;;
      jaeger) rm -f "$LOGS/jaeger.log" ;;   # traces are in memory only
    esac
  done
  say "data wiped for: $SERVICES"
}

# status_line <name> <pid or ""> <port> <extra>
status_line() {
  local state=down
  if [[ -n $2 ]]; then
    if port_open "$3"; then state=up; else state=starting; fi
  fi
  printf '%-9s %-8s pid %-8s 127.0.0.1:%-6s %s\n' "$1" "$state" "${2:--}" "$3" "$4"
  [[ $state == up ]]
}

cmd_status() {
  local ok=0 pid mode n
  if selected redis; then
    pid=$(redis_pid) || pid=""
    status_line redis "$pid" "$REDIS_PORT" "" || ok=3
  fi
  if selected postgres; then
    pid=$(pg_pid 2>/dev/null) || pid=""
    status_line postgres "$pid" "$PG_PORT" "db usersys, usersys_test" || ok=3
  fi
  if selected kafka; then
    if mode=$(kafka_running_mode); then
      for n in $(kafka_nodes "$mode"); do
        pid=$(kafka_node_pid "$mode" "$n") || pid=""
        status_line "$(kafka_name "$mode" "$n")" "$pid" "$(kafka_port "$mode" "$n")" \
          "$mode, controller :$(kafka_ctl_port "$mode" "$n")" || ok=3
      done
    else
      status_line kafka "" "$KAFKA_PORT" "" || ok=3
    fi
  fi
  if selected jaeger; then
    pid=$(jaeger_pid) || pid=""
    status_line jaeger "$pid" "$JAEGER_UI_PORT" \
      "otlp grpc :$JAEGER_OTLP_GRPC_PORT http :$JAEGER_OTLP_HTTP_PORT, thrift :$JAEGER_THRIFT_HTTP_PORT" || ok=3
  fi
  return $ok
}

# logs [svc]: our services' logs; any other .data/logs/<name>.log works too (app logs)
cmd_logs() {
  local svc=${1:-} patterns=() f files=()
  if [[ -z $svc ]]; then
    for svc in $SERVICES; do patterns+=("$svc*"); done
  elif [[ " $ALL_SERVICES " == *" $svc "* ]]; then
    patterns=("$svc*")                    # kafka* also covers kafka-1..3, fetch and tool logs
  else
    patterns=("$svc")
  fi
  for svc in "${patterns[@]}"; do
    for f in "$LOGS"/$svc.log; do [[ -f $f ]] && files+=("$f"); done
  done
  ((${#files[@]})) || die logs missing "no log file for '${1:-$SERVICES}' in $LOGS"
  tail -n 100 "${files[@]}"
}

# `up --docker`: the same infrastructure from docker-compose.yml's official images, for users who
# have a Docker engine (none runs on the CI machines, so the process-based path is the default).
cmd_up_docker() {
  command -v docker >/dev/null || die docker missing "no docker client on PATH; run without --docker"
  docker info >/dev/null 2>&1 || die docker failed "no Docker engine answers (docker info failed); run without --docker"
  # Development infrastructure only: the same Redis ACL user and PostgreSQL password as the
  # process-based path. Compose checks every variable of the file, also those of the apps it does
  # not start here, so those get placeholders that nothing uses.
  export REDIS_PASSWORD POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-$PG_PASSWORD}
  local v
  for v in JWT_SECRET INTERNAL_TOKEN ADMIN_PASSWORD CACHE_HMAC_KEY; do export "$v=${!v:-infra-only-unused}"; done
  docker compose -f "$REPO/docker-compose.yml" up -d --wait redis postgres kafka jaeger ||
    die docker failed "docker compose up failed; see docker compose logs"
  docker compose -f "$REPO/docker-compose.yml" up kafka-topics >/dev/null || die docker failed "topic creation failed"
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  local svc
  for svc in $SERVICES; do
    [[ " $ALL_SERVICES " == *" $svc "* ]] || die INFRA_SERVICES failed "unknown service '$svc' (known: $ALL_SERVICES)"
  done
  case $cmd in
    up)
      while [[ $# -gt 0 ]]; do
        case $1 in
          --kafka-cluster) KAFKA_MODE=cluster ;;
          --docker) cmd_up_docker; return ;;
          *) die up failed "unknown option '$1' (--kafka-cluster or --docker)" ;;
        esac
        shift
      done
      cmd_up
      ;;
    down) cmd_down ;;
    reset) cmd_reset ;;
    status) cmd_status || exit $? ;;
    logs) cmd_logs "$@" ;;
    env) print_env | sed 's/^/export /' ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
