# Sourced by run-worker and run-client: builds the SDK (`mvn package -DskipTests`) if it has not
# been built, or if a source, the pom or a schema changed since the last build, one build at a
# time under a lock (RUN_WORKER_BUILD=never skips this: the caller, e.g. an integration test under
# `mvn verify`, has just built it). Sets $sdk and $classpath.
sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stamp="$sdk/target/run-worker.stamp"
stale() {
  [[ "${RUN_WORKER_BUILD:-}" == never ]] && return 1
  [[ ! -f "$stamp" || ! -f "$sdk/target/classpath.txt" ]] && return 0
  [[ -n "$(find "$sdk/src" "$sdk/pom.xml" "$sdk/../schemas" -newer "$stamp" -type f -print -quit)" ]]
}
if stale; then
  mkdir -p "$sdk/target"
  (
    flock 9 # one build at a time when several processes start at once
    if stale; then
      echo "$(basename "$0"): building the Java SDK (mvn package -DskipTests)" >&2
      touch "$stamp.new"
      mvn -q -B -f "$sdk/pom.xml" package -DskipTests >&2
      mv "$stamp.new" "$stamp"
    fi
  ) 9>"$sdk/target/run-worker.lock"
fi
classpath="$sdk/target/classes:$sdk/target/test-classes:$(cat "$sdk/target/classpath.txt")"
