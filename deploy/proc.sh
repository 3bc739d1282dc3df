#!/usr/bin/env bash
# Legato process supervisor for the project's own processes (orchestrator, example workers).
#
#   deploy/proc.sh start NAME -- CMD ARGS...   start CMD in its own process group (setsid);
#                                              output to $LEGATO_HOME/logs/NAME.log,
#                                              pid in $LEGATO_HOME/run/NAME.pid
#   deploy/proc.sh stop NAME                   TERM the process group, wait up to 30 s, then KILL
#   deploy/proc.sh stop-all                    stop every process with a pid file in run/
#                                              (the stack's services live in run/stack/ and are
#                                              left alone: use deploy/stack.sh stop for those)
#   deploy/proc.sh status                      one line per known process
#   deploy/proc.sh wait-http URL SECONDS [--log NAME]
#                                              poll URL until HTTP 200; on timeout print the last
#                                              20 lines of logs/NAME.log and exit 1
#   deploy/proc.sh logs NAME                   print the log's path
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck disable=SC2034 # read by log/warn/die in env.sh
LOG_TAG=proc
PROC_STOP_TIMEOUT="${PROC_STOP_TIMEOUT:-30}"

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

valid_name() {
  [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "invalid process name '$1' (letters, digits, . _ -)"
}

pid_path() { printf '%s/%s.pid' "$LEGATO_RUN" "$1"; }
log_path() { printf '%s/%s.log' "$LEGATO_LOGS" "$1"; }

# running_pid NAME: print the pid if NAME is running (removes a stale pid file).
running_pid() {
  local file pid
  file="$(pid_path "$1")"
  pid="$(read_pid "$file")"
  if [ -n "$pid" ] && pid_alive "$pid"; then
    printf '%s' "$pid"
    return 0
  fi
  rm -f "$file"
  return 1
}

cmd_start() {
  local name="${1:-}" pid logfile
  [ -n "$name" ] || die "usage: proc.sh start NAME -- CMD ARGS..."
  valid_name "$name"
  shift
  [ "${1:-}" = "--" ] && shift
  [ "$#" -gt 0 ] || die "usage: proc.sh start NAME -- CMD ARGS..."
  ensure_dirs
  if pid="$(running_pid "$name")"; then
    log "$name: already running (pid $pid)"
    return 0
  fi
  logfile="$(log_path "$name")"
  printf '\n=== %s start: %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*" >>"$logfile"
  if have setsid; then
    setsid "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  else
    perl -MPOSIX -e 'POSIX::setsid(); exec @ARGV or die "exec: $!"' -- "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  fi
  pid="$!"
  printf '%s\n' "$pid" >"$(pid_path "$name")"
  # Catch a command that dies at once (bad path, missing module) instead of reporting success.
  if wait_until 1 eval "! pid_alive $pid"; then
    rm -f "$(pid_path "$name")"
    printf -- '--- last lines of %s ---\n' "$logfile" >&2
    tail -n 20 "$logfile" >&2
    die "$name exited right after start (log above)"
  fi
  log "$name: started (pid $pid, log $logfile)"
}

stop_one() {
  local name="$1" pid
  if pid="$(running_pid "$name")"; then
    log "$name: stopping (pid $pid)"
    stop_pid "$pid" "$name" TERM "$PROC_STOP_TIMEOUT"
    rm -f "$(pid_path "$name")"
    log "$name: stopped"
  else
    log "$name: not running"
  fi
}

# Names with a pid file directly in run/ (run/stack/ belongs to deploy/stack.sh).
known_names() {
  local f
  for f in "$LEGATO_RUN"/*.pid; do
    [ -e "$f" ] || continue
    f="${f##*/}"
    printf '%s\n' "${f%.pid}"
  done
}

cmd_stop_all() {
  local name found=0
  while IFS= read -r name; do
    found=1
    stop_one "$name"
  done < <(known_names)
  [ "$found" -eq 1 ] || log "nothing to stop"
}

cmd_status() {
  local name pid found=0
  while IFS= read -r name; do
    found=1
    if pid="$(running_pid "$name")"; then
      printf '%-24s running  pid %-8s log %s\n' "$name" "$pid" "$(log_path "$name")"
    else
      printf '%-24s stopped  pid %-8s log %s\n' "$name" "-" "$(log_path "$name")"
    fi
  done < <(known_names)
  [ "$found" -eq 1 ] || log "no processes"
}

# http_status URL: print the HTTP status code (000 when nothing answers).
http_status() {
  local url="$1"
  if have curl; then
    curl -s -o /dev/null -m 3 -w '%{http_code}' "$url" 2>/dev/null || true
  else
    python3 - "$url" <<'EOF' 2>/dev/null || printf '000'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status, end="")
except urllib.error.HTTPError as e:
    print(e.code, end="")
except Exception:
    print("000", end="")
EOF
  fi
}

cmd_wait_http() {
  local url="${1:-}" seconds="${2:-}" logname="" code="000" deadline
  if [ -z "$url" ] || ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    die "usage: proc.sh wait-http URL SECONDS [--log NAME]"
  fi
  shift 2
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --log) logname="${2:-}"; shift 2 ;;
      *) die "unknown option: $1" ;;
    esac
  done
  deadline=$(( $(now_s) + seconds ))
  while :; do
    code="$(http_status "$url")"
    [ "$code" = 200 ] && { log "$url answered 200"; return 0; }
    # The process we wait for died: no point waiting out the deadline.
    if [ -n "$logname" ] && [ -e "$(pid_path "$logname")" ] && ! running_pid "$logname" >/dev/null; then
      break
    fi
    [ "$(now_s)" -lt "$deadline" ] || break
    sleep 0.5
  done
  if [ -n "$logname" ]; then
    printf -- '--- last 20 lines of %s ---\n' "$(log_path "$logname")" >&2
    tail -n 20 "$(log_path "$logname")" >&2 2>/dev/null || true
  fi
  die "$url did not answer 200 within ${seconds}s (last status: $code)"
}

main() {
  local cmd="${1:-}"
  [ "$#" -gt 0 ] && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) [ -n "${1:-}" ] || die "usage: proc.sh stop NAME"; valid_name "$1"; stop_one "$1" ;;
    stop-all) cmd_stop_all ;;
    status) cmd_status ;;
    wait-http) cmd_wait_http "$@" ;;
    logs) [ -n "${1:-}" ] || die "usage: proc.sh logs NAME"; log_path "$1"; printf '\n' ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
