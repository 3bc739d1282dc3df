#!/usr/bin/env bash
# Legato local stack: Kafka (KRaft), PostgreSQL and Redis as plain local processes, no Docker.
#
#   deploy/stack.sh install|start|stop|restart|status|clean [kafka|postgres|redis ...]
#   deploy/stack.sh kafka-topics ARGS...   # org.apache.kafka.tools.TopicCommand against the broker
#
#   LEGATO_KAFKA_SECURITY=sasl_ssl deploy/stack.sh start   # Kafka with a SASL_SSL listener (see
#                                                          # deploy/kafka-security.sh, docs/security.md)
#
# Where things come from (see docs/local-stack.md):
#   Kafka       pinned in deploy/kafka/pom.xml; its jars are fetched from Maven Central with
#               `mvn dependency:copy-dependencies` into $LEGATO_HOME/kafka/libs (needs java + mvn).
#   PostgreSQL  a server already on the machine (PG_BIN, pg_config, /usr/lib/postgresql/*/bin,
#               Homebrew); else `apt-get install postgresql` when root on Debian/Ubuntu.
#   Redis       redis-server already on the machine (REDIS_SERVER or PATH); else
#               `apt-get install redis-server` when root on Debian/Ubuntu.
#   PyPI wheels were evaluated as a no-root route and rejected: the redis-server wheel has no
#   build for current platforms, and the PostgreSQL wheels need Python >= 3.12 or are
#   unmaintained. Distribution packages are the reliable route; macOS users use Homebrew.
#
# Every service binds to $LEGATO_BIND_HOST (127.0.0.1); data, logs and pid files live under
# $LEGATO_HOME (default <repo>/.legato). Pid files of the stack are in $LEGATO_HOME/run/stack/.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source-path=SCRIPTDIR source=kafka-security.sh
. "$(dirname "${BASH_SOURCE[0]}")/kafka-security.sh"
# shellcheck disable=SC2034 # read by log/warn/die in env.sh
LOG_TAG=stack

ALL_SERVICES=(kafka postgres redis)
KAFKA_DIR="${LEGATO_KAFKA_DIR:-$LEGATO_HOME/kafka}"  # jars + probe; shareable between homes
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_CLASSES="$KAFKA_DIR/classes"
KAFKA_POM="$LEGATO_REPO/deploy/kafka/pom.xml"
KAFKA_PROBE_SRC="$LEGATO_REPO/deploy/kafka/KafkaReady.java"
KAFKA_TOPICS=("workflow-results:6" "workflow-jobs.DLT:1" "workflow-results.DLT:1")
APT_UPDATED=0

usage() {
  cat <<EOF
usage: deploy/stack.sh COMMAND [kafka|postgres|redis ...]   (default: all three)
  install   fetch/locate binaries (idempotent; Kafka jars from Maven Central)
  start     install if needed, start in the background, wait until ready
  stop      stop what we started, verify the ports are closed
  restart   stop then start
  status    one line per service
  clean     stop, then delete \$LEGATO_HOME/data (binaries and jars are kept)
  kafka-topics ARGS...   run Kafka's TopicCommand (--bootstrap-server is added)
LEGATO_KAFKA_SECURITY=sasl_ssl: Kafka listens with SASL_SSL (SCRAM-SHA-512, a generated CA); the
client settings are written to \$LEGATO_HOME/kafka-client.env either way.
LEGATO_HOME=$LEGATO_HOME
EOF
}

pid_file() { printf '%s/%s.pid' "$LEGATO_STACK_RUN" "$1"; }

kafka_is_running() { if service_pid kafka >/dev/null; then printf 1; else printf 0; fi; }

# Broker N of the local Kafka: its ports, its name (pid file, logs, config), the bootstrap list.
kafka_port() { printf '%s' $(( KAFKA_PORT + 2 * (${1:-1} - 1) )); }
kafka_controller_port() { printf '%s' $(( KAFKA_CONTROLLER_PORT + 2 * (${1:-1} - 1) )); }
kafka_broker_name() { if [ "${1:-1}" -eq 1 ]; then printf kafka; else printf 'kafka-%s' "$1"; fi; }
kafka_bootstrap() {
  local n list=()
  for n in $(seq 1 "$KAFKA_BROKERS"); do list+=("$LEGATO_BIND_HOST:$(kafka_port "$n")"); done
  (IFS=,; printf '%s' "${list[*]}")
}

kafka_brokers_file() { printf '%s/kafka.brokers' "$LEGATO_STACK_RUN"; }

# kafka_broker_pid N: the pid of broker N when it runs.
kafka_broker_pid() {
  local file pid
  file="$(pid_file "$(kafka_broker_name "$1")")"
  pid="$(read_pid "$file")"
  [ -n "$pid" ] && pid_alive "$pid" && cmdline_has "$pid" kafka.Kafka && { printf '%s' "$pid"; return 0; }
  rm -f "$file"
  return 1
}

# The brokers of the cluster that do not run (a `start` starts just these: one killed is restarted).
kafka_missing_brokers() {
  local n
  for n in $(seq 1 "$KAFKA_BROKERS"); do kafka_broker_pid "$n" >/dev/null || printf '%s ' "$n"; done
}

# kafka_resolve_brokers: set KAFKA_BROKERS from LEGATO_KAFKA_BROKERS; the size of a running cluster
# wins when the variable is unset, and must match when set.
kafka_resolve_brokers() {
  local wanted="${LEGATO_KAFKA_BROKERS:-}" size=1
  case "$wanted" in
    ""|[1-9]) ;;
    *) die "LEGATO_KAFKA_BROKERS='$wanted' is not supported: use a number of brokers from 1 to 9" ;;
  esac
  [ ! -s "$(kafka_brokers_file)" ] || size="$(head -n1 "$(kafka_brokers_file)")"
  KAFKA_BROKERS="$size"
  if [ "$(kafka_is_running)" = 1 ]; then
    if [ -n "$wanted" ] && [ "$wanted" != "$size" ]; then
      die "kafka is running with $size broker(s), not $wanted: stop it first (deploy/stack.sh stop kafka)"
    fi
    KAFKA_BROKERS="$size"
  else
    KAFKA_BROKERS="${wanted:-1}"
  fi
}

service_port() {
  case "$1" in
    kafka) kafka_port 1 ;;
    postgres) printf '%s' "$PG_PORT" ;;
    redis) printf '%s' "$REDIS_PORT" ;;
  esac
}

# Ports a service needs free before it starts.
service_ports() {
  local n
  case "$1" in
    kafka) for n in $(seq 1 "$KAFKA_BROKERS"); do printf '%s %s ' "$(kafka_port "$n")" "$(kafka_controller_port "$n")"; done ;;
    *) service_port "$1" ;;
  esac
}

# A string the service's command line contains (guards against pid reuse).
service_cmd_pattern() {
  case "$1" in
    kafka) printf 'kafka.Kafka' ;;
    postgres) printf 'postgres' ;;
    redis) printf 'redis-server' ;;
  esac
}

# service_pid NAME: print the pid of our running instance, removing a stale pid file.
service_pid() {
  local name="$1" file pid n
  if [ "$name" = kafka ]; then  # the cluster runs while any of its brokers does
    for n in $(seq 1 "$KAFKA_BROKERS"); do kafka_broker_pid "$n" && return 0; done
    return 1
  fi
  file="$(pid_file "$name")"
  pid="$(read_pid "$file")"
  [ -n "$pid" ] || return 1
  if pid_alive "$pid" && cmdline_has "$pid" "$(service_cmd_pattern "$name")"; then
    printf '%s' "$pid"
    return 0
  fi
  rm -f "$file"
  return 1
}

cmdline_has() {
  local pid="$1" pattern="$2"
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern"
  else
    ps -o command= -p "$pid" 2>/dev/null | grep -q -- "$pattern"
  fi
}

# spawn LOGFILE CMD...: start CMD in its own session, output appended to LOGFILE; prints its pid.
spawn() {
  local logfile="$1"; shift
  if have setsid; then
    setsid "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  else
    perl -MPOSIX -e 'POSIX::setsid(); exec @ARGV or die "exec: $!"' -- "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  fi
  printf '%s' "$!"
}

show_log_tail() {
  local file="$1"
  [ -s "$file" ] || return 0
  printf -- '--- last lines of %s ---\n' "$file" >&2
  tail -n 20 "$file" >&2
}

check_ports_free() {
  local name="$1" ports="${2:-}" port var
  [ -n "$ports" ] || ports="$(service_ports "$name")"
  for port in $ports; do
    if port_listening "$port"; then
      case "$name" in
        kafka) var="KAFKA_PORT/KAFKA_CONTROLLER_PORT (broker N uses them + 2(N-1))" ;;
        postgres) var=PG_PORT ;;
        *) var=REDIS_PORT ;;
      esac
      die "$name: port $port is already in use by $(port_owner "$port"); stop that process (or run with $var=<free port>)"
    fi
  done
}

apt_install() {
  have apt-get || return 1
  is_root || return 1
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$LEGATO_LOGS/apt.log" 2>&1 ||
      { show_log_tail "$LEGATO_LOGS/apt.log"; return 1; }
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  # confold/UCF_FORCE_CONFFOLD: keep config files already in place (e.g. our createcluster.conf).
  DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >>"$LEGATO_LOGS/apt.log" 2>&1 ||
    { show_log_tail "$LEGATO_LOGS/apt.log"; return 1; }
}

# =============================================================================================
# Kafka

# The jars depend on the pom only; the probe is recompiled on its own when its source changes.
kafka_jars_fingerprint() { cksum <"$KAFKA_POM" | awk '{print $1}'; }
kafka_probe_fingerprint() { cksum <"$KAFKA_PROBE_SRC" | awk '{print $1}'; }

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM"; }

require_java() {
  have java || die "java not found: install OpenJDK 17 (apt-get install openjdk-17-jre-headless | brew install openjdk@17)"
  local v
  v="$(java -version 2>&1 | awk -F'"' '/version/{print $2; exit}')"
  [ "${v%%.*}" -ge 17 ] 2>/dev/null ||
    die "java $v is too old: install OpenJDK 17 (apt-get install openjdk-17-jre-headless | brew install openjdk@17)"
}

kafka_jars_installed() {
  [ -f "$KAFKA_DIR/.jars" ] && [ "$(cat "$KAFKA_DIR/.jars")" = "$(kafka_jars_fingerprint)" ] && return 0
  # An install made before the split (one .installed stamp) holding the pinned release is kept.
  [ -f "$KAFKA_DIR/.installed" ] && [ -f "$KAFKA_LIBS/kafka_2.13-$(kafka_version).jar" ] || return 1
  kafka_jars_fingerprint >"$KAFKA_DIR/.jars"
}

kafka_probe_installed() {
  [ -f "$KAFKA_CLASSES/.probe" ] && [ "$(cat "$KAFKA_CLASSES/.probe")" = "$(kafka_probe_fingerprint)" ]
}

kafka_installed() { kafka_jars_installed && kafka_probe_installed; }

install_kafka() {
  kafka_installed && { log "kafka $(kafka_version): already installed"; return 0; }
  require_java
  have javac || die "javac not found: install a JDK 17 (apt-get install openjdk-17-jdk-headless | brew install openjdk@17)"
  local t0; t0="$(now_s)"
  if ! kafka_jars_installed; then
    have mvn || die "mvn not found: install Maven (apt-get install maven | brew install maven)"
    log "kafka $(kafka_version): fetching jars from Maven Central into $KAFKA_LIBS"
    rm -rf "$KAFKA_LIBS" "$KAFKA_DIR/.jars" "$KAFKA_DIR/.installed"
    mkdir -p "$KAFKA_LIBS"
    if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
        -DoutputDirectory="$KAFKA_LIBS" >"$LEGATO_LOGS/kafka-install.log" 2>&1; then
      show_log_tail "$LEGATO_LOGS/kafka-install.log"
      die "kafka: mvn could not fetch the Kafka jars (is Maven Central reachable? log above)"
    fi
    kafka_jars_fingerprint >"$KAFKA_DIR/.jars"
  fi
  # Compiled next to the old classes, then swapped in: a probe running from another home keeps working.
  local classes_new="$KAFKA_CLASSES.new.$$"
  rm -rf "$classes_new"
  mkdir -p "$classes_new"
  javac -nowarn -d "$classes_new" -cp "$KAFKA_LIBS/*" "$KAFKA_PROBE_SRC" ||
    { rm -rf "$classes_new"; die "kafka: could not compile $KAFKA_PROBE_SRC"; }
  kafka_probe_fingerprint >"$classes_new/.probe"
  rm -rf "$KAFKA_CLASSES"
  mv "$classes_new" "$KAFKA_CLASSES"
  log "kafka $(kafka_version): installed in $(( $(now_s) - t0 ))s"
}

kafka_java() {
  java -Dlog4j.configuration="file:$LEGATO_REPO/deploy/kafka/tools-log4j.properties" \
    -Dlegato.kafka.client.config="$KAFKA_CLIENT_PROPS" -cp "$KAFKA_CLASSES:$KAFKA_LIBS/*" "$@"
}

# java_arg VALUE: VALUE as one argument of a java @argument file (quoted; \ and " escaped).
java_arg() {
  local value="${1//\\/\\\\}"
  printf '"%s"\n' "${value//\"/\\\"}"
}

# kafka_java_secret ARGS...: kafka_java MAIN ARGS... with ARGS and the lines of stdin (arguments
# holding a secret) in a mode-600 java @argument file, deleted after the run: ps shows only its path.
kafka_java_secret() {
  local argfile="$LEGATO_CONF/kafka-tool.$$.args" arg rc=0
  (
    umask 077
    { for arg in "$@"; do java_arg "$arg"; done
      while IFS= read -r arg; do java_arg "$arg"; done; } >"$argfile"
  )
  kafka_java "@$argfile" || rc=$?
  rm -f "$argfile"
  return "$rc"
}

# write_kafka_config [N]: broker N's kafka.properties (broker 1's: kafka.properties); prints its path.
# Every broker of a cluster is also one of its KRaft controllers (combined mode, all voters).
write_kafka_config() {
  local n="${1:-1}" conf voters=() i replicas isr
  conf="$LEGATO_CONF/$(kafka_broker_name "$n").properties"
  for i in $(seq 1 "$KAFKA_BROKERS"); do voters+=("$i@$KAFKA_CONTROLLER_HOST:$(kafka_controller_port "$i")"); done
  # A cluster keeps 3 copies of every partition (fewer brokers: one each) and accepts a write once 2
  # have it, so it loses nothing and stays writable when one broker is down.
  replicas=$(( KAFKA_BROKERS < 3 ? KAFKA_BROKERS : 3 ))
  isr=$(( replicas < 2 ? 1 : 2 ))
  (umask 077; : >"$conf")  # holds the SCRAM and key passwords in sasl_ssl mode
  cat >"$conf" <<EOF
# Generated by deploy/stack.sh on every start: edit deploy/stack.sh, not this file.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(IFS=,; printf '%s' "${voters[*]}")
controller.listener.names=CONTROLLER
$(kafka_listener_config "$n")
log.dirs=$(kafka_data_dir "$n")
num.partitions=$KAFKA_NUM_PARTITIONS
default.replication.factor=$replicas
min.insync.replicas=$isr
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
# A broker that stops heartbeating is fenced after this long and its partitions' leadership (and its
# groups' coordinators) move to the others: Kafka's 9 s default made consumers' 10 s sessions expire
# first, so every group rebalanced as well (docs/operations.md).
broker.session.timeout.ms=$KAFKA_BROKER_SESSION_MS
broker.heartbeat.interval.ms=1000
auto.create.topics.enable=false
delete.topic.enable=true
num.network.threads=3
num.io.threads=4
log.retention.hours=168
log.segment.bytes=268435456
log.retention.check.interval.ms=300000
EOF
  printf '%s' "$conf"
}

# kafka_cluster_id: the cluster's id, made once (every broker's storage is formatted with it, and a
# broker whose storage was lost rejoins with it).
kafka_cluster_id() {
  local file
  file="$(kafka_data_dir 1)"
  file="${file%/broker-1}.cluster-id"
  [ -s "$file" ] || kafka_java kafka.tools.StorageTool random-uuid >"$file"
  head -n1 "$file"
}

# Broker 1 logs to $LEGATO_LOGS (kafka.log), broker N of a cluster to $LEGATO_LOGS/kafka-N/.
kafka_logs_dir() {
  if [ "${1:-1}" -eq 1 ]; then printf '%s' "$LEGATO_LOGS"; else printf '%s/%s' "$LEGATO_LOGS" "$(kafka_broker_name "$1")"; fi
}

# launch_kafka [N...]: start the brokers named (default: every broker that does not run).
launch_kafka() {
  local n brokers conf data pid logs
  brokers="${*:-$(kafka_missing_brokers)}"
  if [ "$KAFKA_SECURITY" = sasl_ssl ]; then
    tls_ensure
    # Made with a fresh storage only: the SCRAM user is created when the storage is formatted.
    if [ -f "$(kafka_data_dir 1)/meta.properties" ]; then scram_password 0 >/dev/null; else scram_password 1 >/dev/null; fi
  fi
  write_kafka_client_settings
  printf '%s\n' "$KAFKA_SECURITY" >"$(kafka_security_file)"
  printf '%s\n' "$KAFKA_BROKERS" >"$(kafka_brokers_file)"
  for n in $brokers; do
    data="$(kafka_data_dir "$n")"
    mkdir -p "$data"
    conf="$(write_kafka_config "$n")"
    if [ ! -f "$data/meta.properties" ]; then
      log "$(kafka_broker_name "$n"): formatting KRaft storage in $data (cluster $(kafka_cluster_id), $KAFKA_SECURITY)"
      kafka_format_args | kafka_java_secret kafka.tools.StorageTool format -t "$(kafka_cluster_id)" -c "$conf" \
        >/dev/null || die "kafka: storage format failed in $data"
    fi
    logs="$(kafka_logs_dir "$n")"
    mkdir -p "$logs"
    : >"$logs/kafka.out"
    # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
    pid="$(spawn "$logs/kafka.out" java $KAFKA_HEAP_OPTS -server -XX:+UseG1GC \
      -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$LEGATO_REPO/deploy/kafka/log4j.properties" \
      -Dkafka.logs.dir="$logs" -cp "$KAFKA_LIBS/*" kafka.Kafka "$conf")"
    printf '%s\n' "$pid" >"$(pid_file "$(kafka_broker_name "$n")")"
  done
}

# wait_kafka DEADLINE N...: brokers N listen, the cluster has every broker and Legato's topics exist.
wait_kafka() {
  local deadline="$1" n pid left spec logs
  shift
  for n in "$@"; do
    pid="$(read_pid "$(pid_file "$(kafka_broker_name "$n")")")"
    logs="$(kafka_logs_dir "$n")"
    wait_until $(( deadline - $(now_s) )) eval "port_listening $(kafka_port "$n") || ! pid_alive $pid" || true
    pid_alive "$pid" || { show_log_tail "$logs/kafka.log"; show_log_tail "$logs/kafka.out"; die "$(kafka_broker_name "$n") exited during startup (logs above)"; }
  done
  left=$(( deadline - $(now_s) )); [ "$left" -gt 5 ] || left=5
  local args=()
  for spec in "${KAFKA_TOPICS[@]}"; do args+=("$spec"); done
  kafka_java -Dlegato.kafka.brokers="$KAFKA_BROKERS" KafkaReady "$(kafka_bootstrap)" "$left" "${args[@]}" |
    sed 's/^/[stack] kafka: /' ||
    { show_log_tail "$LEGATO_LOGS/kafka.log"; die "kafka did not become ready within ${LEGATO_READY_TIMEOUT}s"; }
  [ "$KAFKA_SECURITY" != sasl_ssl ] || log "kafka: SASL_SSL (SCRAM-SHA-512) on $(kafka_bootstrap), client settings in $KAFKA_CLIENT_ENV"
}

kafka_topics() {
  kafka_installed || die "kafka is not installed: run deploy/stack.sh install kafka"
  [ -s "$KAFKA_CLIENT_PROPS" ] || write_kafka_client_settings
  kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$(kafka_bootstrap)" \
    --command-config "$KAFKA_CLIENT_PROPS" "$@"
}

# =============================================================================================
# PostgreSQL

# pg_bindir: directory holding postgres, initdb and pg_ctl (prints it, or fails).
pg_bindir() {
  local d cand=()
  [ -n "${PG_BIN:-}" ] && cand+=("$PG_BIN")
  have pg_config && cand+=("$(pg_config --bindir 2>/dev/null || true)")
  # Debian/Ubuntu: newest version first.
  while IFS= read -r d; do cand+=("$d"); done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k4 -rn)
  if have postgres; then
    d="$(command -v postgres)"
    cand+=("$(cd "$(dirname "$(readlink -f "$d" 2>/dev/null || printf '%s' "$d")")" && pwd)")
  fi
  for d in /opt/homebrew/opt/postgresql@16/bin /usr/local/opt/postgresql@16/bin \
    /opt/homebrew/opt/postgresql@15/bin /usr/local/opt/postgresql@15/bin /opt/homebrew/bin /usr/local/bin; do
    cand+=("$d")
  done
  for d in "${cand[@]}"; do
    [ -n "$d" ] && [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { printf '%s' "$d"; return 0; }
  done
  return 1
}

# pg_tool NAME: path of a client tool (psql, pg_isready), preferring the server's bin dir.
pg_tool() {
  local bindir; bindir="$(pg_bindir)"
  if [ -x "$bindir/$1" ]; then printf '%s' "$bindir/$1"
  elif have "$1"; then command -v "$1"
  else return 1
  fi
}

install_postgres() {
  local bindir t0
  if bindir="$(pg_bindir)"; then
    log "postgres: using $("$bindir/postgres" --version) from $bindir"
    return 0
  fi
  t0="$(now_s)"
  # Debian/Ubuntu: do not let the package create (and start) its own "main" cluster on 5432.
  if is_root && have apt-get && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    printf 'create_main_cluster = false\n' >/etc/postgresql-common/createcluster.conf
  fi
  apt_install postgresql postgresql-client ||
    die "PostgreSQL not found: install it (apt-get install postgresql | brew install postgresql@16) or set PG_BIN=<dir with postgres, initdb, pg_ctl>"
  bindir="$(pg_bindir)" || die "PostgreSQL installed but no server binaries found: set PG_BIN"
  log "postgres: installed $("$bindir/postgres" --version) in $(( $(now_s) - t0 ))s"
}

# as_pg_user CMD...: run CMD as the PostgreSQL OS user (PostgreSQL refuses to run as root).
as_pg_user() {
  if ! is_root; then "$@"; return; fi
  if have runuser; then runuser -u "$PG_OS_USER" -- "$@"
  else su -s /bin/sh "$PG_OS_USER" -c "$(printf '%q ' "$@")"
  fi
}

ensure_pg_os_user() {
  is_root || return 0
  id "$PG_OS_USER" >/dev/null 2>&1 && return 0
  have useradd || die "postgres: cannot create OS user $PG_OS_USER (no useradd): create it or set PG_OS_USER to an existing non-root user"
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER" ||
    die "postgres: useradd $PG_OS_USER failed: create it or set PG_OS_USER to an existing non-root user"
  log "postgres: created OS user $PG_OS_USER (PostgreSQL refuses to run as root)"
}

pg_initdb() {
  local data="$1" pwfile
  pwfile="$(mktemp)"
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  is_root && chown "$PG_OS_USER" "$pwfile"
  log "postgres: initdb $data"
  # The superuser is $PG_USER itself: this cluster belongs to Legato alone.
  if ! as_pg_user "$(pg_bindir)/initdb" -D "$data" -U "$PG_USER" --pwfile="$pwfile" -E UTF8 \
      --locale=C --auth-host=scram-sha-256 --auth-local=peer >"$LEGATO_LOGS/postgres-initdb.log" 2>&1; then
    rm -f "$pwfile"
    show_log_tail "$LEGATO_LOGS/postgres-initdb.log"
    die "postgres: initdb failed (log above)"
  fi
  rm -f "$pwfile"
  printf "\ninclude_if_exists = 'legato.conf'\n" >>"$data/postgresql.conf"
}

write_pg_config() {
  local data="$1"
  cat >"$data/legato.conf" <<EOF
# Generated by deploy/stack.sh on every start.
listen_addresses = '$LEGATO_BIND_HOST'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
shared_buffers = 256MB
# Legato's working set is in memory: an index lookup costs about what a sequential read does, so
# a batch of results is applied through its keys rather than a scan (docs/performance.md).
random_page_cost = 1.1
fsync = on
synchronous_commit = on
logging_collector = off
log_min_messages = warning
log_connections = off
EOF
  is_root && chown "$PG_OS_USER" "$data/legato.conf"
  return 0
}

launch_postgres() {
  local data="$LEGATO_DATA/postgres" log_file="$LEGATO_LOGS/postgres.log"
  ensure_pg_os_user
  mkdir -p "$data"
  chmod 700 "$data"
  touch "$log_file"
  if is_root; then
    chown "$PG_OS_USER" "$data" "$log_file"
    as_pg_user test -w "$data" ||
      die "postgres: user $PG_OS_USER cannot reach $data (a parent directory is private): set LEGATO_HOME to a path under /var/tmp or /srv"
  fi
  [ -f "$data/PG_VERSION" ] || pg_initdb "$data"
  write_pg_config "$data"
  rm -f "$(pid_file postgres)"
  # A postmaster.pid left by a crash would be mistaken for the new server's: drop it if stale.
  pid_alive "$(pg_postmaster_pid)" || rm -f "$data/postmaster.pid"
  # pg_ctl detaches the server into its own session; its pid is in postmaster.pid.
  as_pg_user "$(pg_bindir)/pg_ctl" -D "$data" -l "$log_file" start >/dev/null 9>&- ||
    { show_log_tail "$log_file"; die "postgres: pg_ctl start failed (log above)"; }
}

pg_postmaster_pid() { read_pid "$LEGATO_DATA/postgres/postmaster.pid"; }

pg_postmaster_up() { pid_alive "$(pg_postmaster_pid)"; }

pg_psql() {
  PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=3 "$(pg_tool psql)" -X -q -v ON_ERROR_STOP=1 \
    -h "$LEGATO_BIND_HOST" -p "$PG_PORT" -U "$PG_USER" "$@"
}

pg_ready() { "$(pg_tool pg_isready)" -q -h "$LEGATO_BIND_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1; }

wait_postgres() {
  local deadline="$1" pid
  wait_until $(( deadline - $(now_s) )) pg_postmaster_up ||
    { show_log_tail "$LEGATO_LOGS/postgres.log"; die "postgres did not start (log above)"; }
  pid="$(pg_postmaster_pid)"
  printf '%s\n' "$pid" >"$(pid_file postgres)"
  wait_until $(( deadline - $(now_s) )) eval "pg_ready || ! pid_alive $pid" || true
  if ! { pid_alive "$pid" && pg_ready; }; then
    show_log_tail "$LEGATO_LOGS/postgres.log"
    die "postgres did not become ready within ${LEGATO_READY_TIMEOUT}s"
  fi
  if [ "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
    pg_psql -d postgres -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\"" >/dev/null
    log "postgres: created database $PG_DB"
  fi
  pg_psql -d "$PG_DB" -tAc 'SELECT 1' >/dev/null || die "postgres: cannot connect to database $PG_DB as $PG_USER"
}

# =============================================================================================
# Redis

redis_server_bin() {
  if [ -n "${REDIS_SERVER:-}" ] && [ -x "$REDIS_SERVER" ]; then printf '%s' "$REDIS_SERVER"; return 0; fi
  have redis-server && { command -v redis-server; return 0; }
  local d
  for d in /usr/bin /usr/sbin /usr/local/bin /opt/homebrew/bin; do
    [ -x "$d/redis-server" ] && { printf '%s' "$d/redis-server"; return 0; }
  done
  return 1
}

install_redis() {
  local bin t0
  if bin="$(redis_server_bin)"; then
    log "redis: using $("$bin" --version | awk '{sub("v=", "", $3); print $3}') from $bin"
    return 0
  fi
  t0="$(now_s)"
  apt_install redis-server ||
    die "redis-server not found: install Redis (apt-get install redis-server | brew install redis) or set REDIS_SERVER=<path>"
  # Where a service manager auto-started the packaged instance on our port, switch it off:
  # the stack runs its own instance.
  if have systemctl && systemctl is-active --quiet redis-server 2>/dev/null; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
    log "redis: disabled the packaged redis-server service (the stack runs its own instance)"
  fi
  bin="$(redis_server_bin)" || die "redis installed but redis-server not found: set REDIS_SERVER"
  log "redis: installed $("$bin" --version | awk '{sub("v=", "", $3); print $3}') in $(( $(now_s) - t0 ))s"
}

write_redis_config() {
  local conf="$LEGATO_CONF/redis.conf"
  cat >"$conf" <<EOF
# Generated by deploy/stack.sh on every start.
bind $LEGATO_BIND_HOST
port $REDIS_PORT
protected-mode yes
daemonize no
dir $LEGATO_DATA/redis
appendonly yes
appendfsync everysec
# Idempotency keys must never be evicted (PostgreSQL stays the record; see docs/failure-handling.md).
maxmemory-policy noeviction
save 3600 1 300 100 60 10000
logfile ""
loglevel notice
EOF
  printf '%s' "$conf"
}

launch_redis() {
  local conf pid
  mkdir -p "$LEGATO_DATA/redis"
  conf="$(write_redis_config)"
  pid="$(spawn "$LEGATO_LOGS/redis.log" "$(redis_server_bin)" "$conf")"
  printf '%s\n' "$pid" >"$(pid_file redis)"
}

# redis_ping: a raw RESP PING over bash's /dev/tcp (redis-cli not required).
redis_ping() {
  local reply=""
  exec 3<>"/dev/tcp/$LEGATO_BIND_HOST/$REDIS_PORT" 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 2 reply <&3 || true
  exec 3<&- 3>&-
  [ "${reply%$'\r'}" = "+PONG" ]
}

wait_redis() {
  local pid="$1" deadline="$2"
  wait_until $(( deadline - $(now_s) )) eval "redis_ping || ! pid_alive $pid" || true
  if ! { pid_alive "$pid" && redis_ping; }; then
    show_log_tail "$LEGATO_LOGS/redis.log"
    die "redis did not become ready within ${LEGATO_READY_TIMEOUT}s"
  fi
}

# =============================================================================================
# commands

cmd_install() {
  local s t0; t0="$(now_s)"
  ensure_dirs
  for s in "$@"; do "install_$s"; done
  log "install done in $(( $(now_s) - t0 ))s"
}

cmd_start() {
  local s t0 deadline pid n brokers="" to_start=() to_wait=()
  t0="$(now_s)"
  ensure_dirs
  # 1. preflight every service before launching any (a busy port fails fast, nothing half-started)
  for s in "$@"; do
    if [ "$s" = kafka ]; then  # the brokers that do not run (all, or one that was killed)
      brokers="$(kafka_missing_brokers)"
      if [ -z "$brokers" ]; then
        log "kafka: already running ($KAFKA_BROKERS broker(s) on $(kafka_bootstrap))"
        write_kafka_client_settings
      else
        for n in $brokers; do check_ports_free kafka "$(kafka_port "$n") $(kafka_controller_port "$n")"; done
        to_start+=(kafka)
      fi
    elif pid="$(service_pid "$s")"; then
      log "$s: already running (pid $pid, port $(service_port "$s"))"
    else
      check_ports_free "$s"
      to_start+=("$s")
    fi
  done
  for s in "${to_start[@]+"${to_start[@]}"}"; do "install_$s"; done
  # 2. launch everything (the services boot in parallel) ...
  for s in "${to_start[@]+"${to_start[@]}"}"; do
    if [ "$s" = kafka ]; then launch_kafka "$brokers"; else "launch_$s"; fi
    to_wait+=("$s")
  done
  # 3. ... then wait for each to be really ready.
  deadline=$(( $(now_s) + LEGATO_READY_TIMEOUT ))
  for s in "${to_wait[@]+"${to_wait[@]}"}"; do
    case "$s" in
      # shellcheck disable=SC2086 # the broker numbers, one word each
      kafka) wait_kafka "$deadline" $brokers ;;
      postgres) wait_postgres "$deadline" ;;
      redis) wait_redis "$(read_pid "$(pid_file redis)")" "$deadline" ;;
    esac
    if [ "$s" = kafka ]; then log "kafka: ready on $(kafka_bootstrap)"
    else log "$s: ready on $LEGATO_BIND_HOST:$(service_port "$s") (pid $(read_pid "$(pid_file "$s")"))"; fi
  done
  log "start done in $(( $(now_s) - t0 ))s"
}

# Every broker is told to stop at once. A broker's shutdown waits for the controller quorum, so the
# brokers left once a majority has stopped would wait for it in vain: they are killed (a broker
# recovers its logs at its next start).
stop_kafka() {
  local n pid pids=() names=() majority left quorum_lost_at="" deadline
  for n in $(seq 1 "$KAFKA_BROKERS"); do
    pid="$(kafka_broker_pid "$n")" || continue
    pids+=("$pid")
    names+=("$(kafka_broker_name "$n")")
    log "$(kafka_broker_name "$n"): stopping (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  [ "${#pids[@]}" -gt 0 ] || log "kafka: not running"
  majority=$(( KAFKA_BROKERS / 2 + 1 ))
  deadline=$(( $(now_s) + LEGATO_STOP_TIMEOUT ))
  while :; do
    left=0
    for pid in "${pids[@]+"${pids[@]}"}"; do ! pid_alive "$pid" || left=$(( left + 1 )); done
    [ "$left" -gt 0 ] || break
    if [ "$KAFKA_BROKERS" -gt 1 ] && [ "$left" -lt "$majority" ]; then
      quorum_lost_at="${quorum_lost_at:-$(now_s)}"
      [ $(( $(now_s) - quorum_lost_at )) -lt 3 ] || break
    fi
    [ "$(now_s)" -lt "$deadline" ] || break
    sleep 0.2
  done
  for n in "${!pids[@]}"; do
    pid_alive "${pids[$n]}" || continue
    if [ -n "$quorum_lost_at" ]; then log "${names[$n]}: no controller quorum left to stop with: sending KILL"
    else warn "${names[$n]} (pid ${pids[$n]}) still running after ${LEGATO_STOP_TIMEOUT}s: sending KILL"; fi
    kill -KILL -- "-${pids[$n]}" 2>/dev/null || kill -KILL "${pids[$n]}" 2>/dev/null || true
    wait_until 5 eval "! pid_alive ${pids[$n]}" || die "${names[$n]} (pid ${pids[$n]}) survived SIGKILL"
  done
  for n in $(seq 1 "$KAFKA_BROKERS"); do rm -f "$(pid_file "$(kafka_broker_name "$n")")"; done
  rm -f "$(kafka_security_file)" "$(kafka_brokers_file)"
}

stop_service() {
  local s="$1" pid port
  if [ "$s" = kafka ]; then
    stop_kafka
  elif pid="$(service_pid "$s")"; then
    log "$s: stopping (pid $pid)"
    case "$s" in
      # SIGINT = PostgreSQL "fast" shutdown (SIGTERM would wait for every client to disconnect).
      postgres) stop_pid "$pid" "$s" INT "$LEGATO_STOP_TIMEOUT" pid ;;
      *) stop_pid "$pid" "$s" TERM ;;
    esac
    rm -f "$(pid_file "$s")"
  else
    log "$s: not running"
  fi
  for port in $(service_ports "$s"); do
    wait_until 5 port_free "$port" ||
      { warn "$s: port $port still listening: $(port_owner "$port") (not started by this stack)"; return 1; }
  done
}

cmd_stop() {
  local s rc=0
  for s in "$@"; do stop_service "$s" || rc=1; done
  return "$rc"
}

cmd_status() {
  local s pid n
  for s in "$@"; do
    if [ "$s" = kafka ] && [ "$KAFKA_BROKERS" -gt 1 ]; then
      for n in $(seq 1 "$KAFKA_BROKERS"); do
        if pid="$(kafka_broker_pid "$n")"; then
          printf '%-9s running  pid %-8s port %s  (%s)\n' "$(kafka_broker_name "$n")" "$pid" "$(kafka_port "$n")" "$(kafka_running_security)"
        else
          printf '%-9s stopped  pid %-8s port %s\n' "$(kafka_broker_name "$n")" "-" "$(kafka_port "$n")"
        fi
      done
    elif pid="$(service_pid "$s")"; then
      printf '%-9s running  pid %-8s port %s%s\n' "$s" "$pid" "$(service_port "$s")" \
        "$([ "$s" != kafka ] || printf '  (%s)' "$(kafka_running_security)")"
    else
      printf '%-9s stopped  pid %-8s port %s\n' "$s" "-" "$(service_port "$s")"
    fi
  done
}

cmd_clean() {
  local s
  cmd_stop "$@"
  for s in "$@"; do
    rm -rf "${LEGATO_DATA:?}/$s"
    [ "$s" != kafka ] || rm -rf "${LEGATO_DATA:?}"/kafka-* "${LEGATO_DATA:?}"/kafka.cluster-id
    log "$s: data deleted"
  done
}

main() {
  local cmd="${1:-}" s
  [ -n "$cmd" ] || { usage; exit 2; }
  shift
  case "$cmd" in
    -h|--help|help) usage; exit 0 ;;
    kafka-topics)
      ensure_dirs; kafka_resolve_brokers; kafka_resolve_security "$(kafka_is_running)"
      kafka_topics "$@"; exit ;;
  esac
  local services=("$@")
  [ "${#services[@]}" -gt 0 ] || services=("${ALL_SERVICES[@]}")
  for s in "${services[@]}"; do
    case "$s" in kafka|postgres|redis) ;; *) usage >&2; die "unknown service: $s" ;; esac
  done
  ensure_dirs
  kafka_resolve_brokers
  [ "$cmd" != status ] || { cmd_status "${services[@]}"; exit 0; }
  # One stack command at a time per LEGATO_HOME (two `make` runs must not race). Services are
  # launched with fd 9 closed so that they do not hold the lock.
  if have flock; then
    exec 9>"$LEGATO_RUN/stack.lock"
    flock -w 120 9 || die "another deploy/stack.sh is running (lock $LEGATO_RUN/stack.lock)"
  fi
  kafka_resolve_security "$(kafka_is_running)"
  case "$cmd" in
    install) cmd_install "${services[@]}" ;;
    start) cmd_start "${services[@]}" ;;
    stop) cmd_stop "${services[@]}" ;;
    restart) cmd_stop "${services[@]}"; cmd_start "${services[@]}" ;;
    status) cmd_status "${services[@]}" ;;
    clean) cmd_clean "${services[@]}" ;;
    *) usage >&2; die "unknown command: $cmd" ;;
  esac
}

# Sourced (tests read what a function writes), it defines the functions and runs nothing.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
