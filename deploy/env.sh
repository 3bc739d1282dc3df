# shellcheck shell=bash
# Legato local stack: shared defaults and helpers. Sourced by deploy/stack.sh and deploy/proc.sh.
# Every value below can be overridden from the environment.

LEGATO_REPO="${LEGATO_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
LEGATO_HOME="${LEGATO_HOME:-$LEGATO_REPO/.legato}"   # git-ignored
LEGATO_DATA="${LEGATO_DATA:-$LEGATO_HOME/data}"       # data/{kafka,postgres,redis}
LEGATO_LOGS="${LEGATO_LOGS:-$LEGATO_HOME/logs}"
LEGATO_RUN="${LEGATO_RUN:-$LEGATO_HOME/run}"          # pid files of proc.sh processes
LEGATO_STACK_RUN="${LEGATO_STACK_RUN:-$LEGATO_RUN/stack}"  # pid files of the stack's services
LEGATO_CONF="${LEGATO_CONF:-$LEGATO_HOME/conf}"       # generated service configs
LEGATO_BIND_HOST="${LEGATO_BIND_HOST:-127.0.0.1}"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx768m}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-6}"
# Brokers of the local Kafka: 1, or a cluster (3 survives the loss of one broker). Broker N listens
# on KAFKA_PORT + 2(N-1) and its KRaft controller on KAFKA_CONTROLLER_PORT + 2(N-1): 9092/9093,
# 9094/9095, 9096/9097 by default.
LEGATO_KAFKA_BROKERS="${LEGATO_KAFKA_BROKERS:-}"
KAFKA_BROKER_SESSION_MS="${KAFKA_BROKER_SESSION_MS:-4000}"

PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-legato}"
PG_PASSWORD="${PG_PASSWORD:-legato}"
PG_DB="${PG_DB:-legato}"
# When run as root, PostgreSQL runs as this unprivileged OS user (created if missing).
PG_OS_USER="${PG_OS_USER:-legato-pg}"

REDIS_PORT="${REDIS_PORT:-6379}"

# Bounded waits (seconds).
LEGATO_READY_TIMEOUT="${LEGATO_READY_TIMEOUT:-60}"
LEGATO_STOP_TIMEOUT="${LEGATO_STOP_TIMEOUT:-20}"

export LEGATO_REPO LEGATO_HOME LEGATO_DATA LEGATO_LOGS LEGATO_RUN LEGATO_STACK_RUN LEGATO_CONF \
  LEGATO_BIND_HOST KAFKA_PORT KAFKA_CONTROLLER_PORT PG_PORT PG_USER PG_PASSWORD PG_DB REDIS_PORT

# ---------------------------------------------------------------------------------------------
# helpers

log() { printf '[%s] %s\n' "${LOG_TAG:-legato}" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "${LOG_TAG:-legato}" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "${LOG_TAG:-legato}" "$*" >&2; exit 1; }

now_s() { date +%s; }

have() { command -v "$1" >/dev/null 2>&1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# pid_alive PID: the process exists (and is not a zombie).
pid_alive() {
  local pid="$1" state
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/stat" ]; then
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
    [ "$state" != "Z" ] || return 1
  fi
  return 0
}

# read_pid FILE: print the pid stored in FILE, if any.
read_pid() {
  if [ -s "$1" ]; then head -n1 "$1" | tr -dc '0-9'; fi
}

# port_listening PORT: something accepts TCP connections on PORT (any local address).
port_listening() {
  local port="$1"
  if have ss; then
    [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && return 0
    return 1
  fi
  if have lsof; then
    lsof -nP -iTCP:"$port" -sTCP:LISTEN >/dev/null 2>&1 && return 0
    return 1
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# port_owner PORT: short description of who listens on PORT (best effort).
port_owner() {
  local port="$1" out=""
  if have ss; then
    out="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n1 || true)"
  elif have lsof; then
    out="$(lsof -nP -iTCP:"$port" -sTCP:LISTEN 2>/dev/null | awk 'NR==2{print $1" pid="$2}' || true)"
  fi
  printf '%s' "${out:-unknown process}"
}

# wait_until SECONDS CMD...: poll CMD until it succeeds or the deadline passes.
wait_until() {
  local timeout="$1"; shift
  local deadline=$(( $(now_s) + timeout ))
  until "$@"; do
    [ "$(now_s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# port_free PORT
port_free() { ! port_listening "$1"; }

# stop_pid PID NAME [SIGNAL] [TIMEOUT] [GROUP]: send SIGNAL, wait up to TIMEOUT seconds, then
# SIGKILL. With GROUP=group (default) and PID leading its own process group (our services and
# processes are started with setsid), the whole group is signalled; GROUP=pid signals PID alone
# (its children are then left to PID to shut down, as PostgreSQL's postmaster does).
stop_pid() {
  local pid="$1" name="$2" sig="${3:-TERM}" timeout="${4:-$LEGATO_STOP_TIMEOUT}" mode="${5:-group}"
  local group="$1" target="$1"
  pid_alive "$pid" || return 0
  if [ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ]; then
    group="-$pid"
    [ "$mode" = pid ] || target="-$pid"
  fi
  kill "-$sig" -- "$target" 2>/dev/null || true
  if ! wait_until "$timeout" eval "! pid_alive $pid"; then
    warn "$name (pid $pid) still running after ${timeout}s: sending KILL"
    kill -KILL -- "$group" 2>/dev/null || true
    wait_until 5 eval "! pid_alive $pid" || die "$name (pid $pid) survived SIGKILL"
  fi
}

ensure_dirs() {
  mkdir -p "$LEGATO_HOME" "$LEGATO_DATA" "$LEGATO_LOGS" "$LEGATO_RUN" "$LEGATO_STACK_RUN" "$LEGATO_CONF"
}
