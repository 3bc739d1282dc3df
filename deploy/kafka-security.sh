# shellcheck shell=bash
# Legato local stack: how clients reach the local Kafka broker. Sourced by deploy/stack.sh.
#
#   LEGATO_KAFKA_SECURITY unset    the mode the broker already runs with, else plaintext
#   LEGATO_KAFKA_SECURITY=plaintext one PLAINTEXT listener on KAFKA_PORT
#   LEGATO_KAFKA_SECURITY=sasl_ssl  the listener on KAFKA_PORT is SASL_SSL (SCRAM-SHA-512). A CA and a
#                                   broker certificate are made with openssl in $LEGATO_HOME/kafka-tls/
#                                   (kept across restarts); the SCRAM user is created when the broker's
#                                   storage ($LEGATO_DATA/kafka-sasl_ssl) is formatted.
# The KRaft controller listener stays PLAINTEXT on 127.0.0.1, whatever $LEGATO_BIND_HOST: only this
# broker talks to it, and nothing beyond the machine may reach an unauthenticated controller.
# The SCRAM password is never on a command line (ps shows every process's): the storage format reads
# it from a mode-600 argument file, deleted once done.
# Every start writes the client settings as `export` lines to $LEGATO_HOME/kafka-client.env (mode 600)
# and, for Kafka's own Java tools, $LEGATO_CONF/kafka-client.properties.

KAFKA_TLS_DIR="$LEGATO_HOME/kafka-tls"
KAFKA_CLIENT_ENV="$LEGATO_HOME/kafka-client.env"
KAFKA_CLIENT_PROPS="$LEGATO_CONF/kafka-client.properties"
KAFKA_SCRAM_USER="${KAFKA_SCRAM_USER:-legato}"
KAFKA_SCRAM_MECHANISM=SCRAM-SHA-512
KAFKA_SECURITY=plaintext  # set by kafka_resolve_security
KAFKA_BROKERS=1           # set by kafka_resolve_brokers (deploy/stack.sh)
KAFKA_CONTROLLER_HOST=127.0.0.1  # loopback only (see above)

kafka_security_file() { printf '%s/kafka.security' "$LEGATO_STACK_RUN"; }

# The mode of the running broker (a broker started before modes existed is plaintext).
kafka_running_security() {
  local file; file="$(kafka_security_file)"
  if [ -s "$file" ]; then head -n1 "$file"; else printf plaintext; fi
}

# kafka_resolve_security RUNNING: set KAFKA_SECURITY from LEGATO_KAFKA_SECURITY; RUNNING=1 when a
# broker of this stack is up (its mode wins when the variable is unset, and must match when set).
kafka_resolve_security() {
  local running="$1" wanted running_mode
  wanted="$(printf '%s' "${LEGATO_KAFKA_SECURITY:-}" | tr '[:upper:]' '[:lower:]' | tr -d '[:space:]')"
  case "$wanted" in
    ""|plaintext|sasl_ssl) ;;
    *) die "LEGATO_KAFKA_SECURITY='${LEGATO_KAFKA_SECURITY}' is not supported: use sasl_ssl or plaintext (or leave it unset)" ;;
  esac
  if [ "$running" = 1 ]; then
    running_mode="$(kafka_running_security)"
    if [ -n "$wanted" ] && [ "$wanted" != "$running_mode" ]; then
      die "kafka is running with $running_mode, not $wanted: stop it first (deploy/stack.sh stop kafka)"
    fi
    KAFKA_SECURITY="$running_mode"
  else
    KAFKA_SECURITY="${wanted:-plaintext}"
  fi
}

# kafka_data_dir [N]: broker N's log directory (1 by default). Each mode has its own: the SCRAM user
# exists only in a storage formatted for it; so has each cluster size (a storage belongs to one
# cluster, with its own voters).
kafka_data_dir() {
  local base n="${1:-1}"
  if [ "$KAFKA_SECURITY" = sasl_ssl ]; then base="$LEGATO_DATA/kafka-sasl_ssl"; else base="$LEGATO_DATA/kafka"; fi
  if [ "$KAFKA_BROKERS" -eq 1 ]; then printf '%s' "$base"; else printf '%s-%s-brokers/broker-%s' "$base" "$KAFKA_BROKERS" "$n"; fi
}

require_openssl() {
  have openssl && return 0
  apt_install openssl ||
    die "openssl not found (needed for LEGATO_KAFKA_SECURITY=sasl_ssl): install it (apt-get install openssl | brew install openssl)"
}

# tls_valid FILE: a certificate that is still valid for at least a day.
tls_valid() { [ -s "$1" ] && openssl x509 -checkend 86400 -noout -in "$1" >/dev/null 2>&1; }

# The broker certificate names every address a client may dial: localhost, 127.0.0.1 and the bind host.
tls_broker_names() {
  local names="DNS:localhost,IP:127.0.0.1"
  case "$LEGATO_BIND_HOST" in
    localhost|127.0.0.1) ;;
    *[!0-9.]*) names="$names,DNS:$LEGATO_BIND_HOST" ;;
    *) names="$names,IP:$LEGATO_BIND_HOST" ;;
  esac
  printf '%s' "$names"
}

# openssl_quiet ARGS...: run openssl, its chatter to a log, the log's tail on failure.
openssl_quiet() {
  local logfile="$LEGATO_LOGS/kafka-tls.log"
  openssl "$@" >>"$logfile" 2>&1 || { show_log_tail "$logfile"; die "kafka: openssl $1 failed (log above)"; }
}

tls_make_ca() {
  local d="$KAFKA_TLS_DIR"
  log "kafka: generating a local CA ($d/ca.pem)"
  openssl_quiet req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 825 \
    -subj "/CN=Legato local CA $(openssl rand -hex 4)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$d/ca-key.pem" -out "$d/ca.pem"
  rm -f "$d/broker.pem"  # a new CA re-issues the broker certificate
}

tls_make_broker() {
  local d="$KAFKA_TLS_DIR" ext
  log "kafka: issuing the broker certificate ($(tls_broker_names))"
  ext="$d/broker.ext"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' \
    "$(tls_broker_names)" >"$ext"
  openssl_quiet req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
    -keyout "$d/broker-key.pem" -out "$d/broker.csr"
  openssl_quiet x509 -req -sha256 -days 825 -in "$d/broker.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$ext" -out "$d/broker.pem"
  # Kafka's PEM key store wants an encrypted PKCS#8 key followed by the certificate chain.
  openssl rand -hex 24 >"$d/broker-key.password"
  # PBES1 (PBE-SHA1-3DES): Java 17 cannot read the PBES2 keys openssl makes by default.
  openssl_quiet pkcs8 -topk8 -v1 PBE-SHA1-3DES -in "$d/broker-key.pem" -passout "file:$d/broker-key.password" \
    -out "$d/broker-key.enc.pem"
  cat "$d/broker-key.enc.pem" "$d/broker.pem" "$d/ca.pem" >"$d/broker-keystore.pem"
  tls_broker_names >"$d/broker.names"
  rm -f "$d/broker.csr" "$d/broker-key.enc.pem" "$ext"
}

# tls_ensure: the CA and the broker certificate, made once and kept (re-issued when expiring or renamed).
tls_ensure() {
  local d="$KAFKA_TLS_DIR"
  require_openssl
  mkdir -p "$d"
  chmod 700 "$d"
  (
    umask 077
    tls_valid "$d/ca.pem" && [ -s "$d/ca-key.pem" ] || tls_make_ca
    if ! tls_valid "$d/broker.pem" || [ ! -s "$d/broker-keystore.pem" ] ||
      ! openssl verify -CAfile "$d/ca.pem" "$d/broker.pem" >/dev/null 2>&1 ||
      [ "$(cat "$d/broker.names" 2>/dev/null)" != "$(tls_broker_names)" ]; then
      tls_make_broker
    fi
  ) || exit 1
}

scram_password_file() { printf '%s/scram-%s.password' "$KAFKA_TLS_DIR" "$KAFKA_SCRAM_USER"; }

# scram_password FRESH: print the user's password; FRESH=1 (storage about to be formatted) makes one.
scram_password() {
  local file; file="$(scram_password_file)"
  if [ ! -s "$file" ]; then
    [ "$1" = 1 ] ||
      die "kafka: $file is missing but $(kafka_data_dir) was formatted with it: delete that directory (deploy/stack.sh clean kafka) to start over"
    (umask 077; openssl rand -hex 24 >"$file")
  fi
  head -n1 "$file"
}

scram_jaas() {
  printf 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";' \
    "$KAFKA_SCRAM_USER" "$(scram_password 0)"
}

# The storage-format arguments that create the SCRAM user (none in plaintext mode), one a line.
# They hold the password: they go to the format tool in an argument file, never on its command line.
kafka_format_args() {
  [ "$KAFKA_SECURITY" = sasl_ssl ] || return 0
  printf -- '--add-scram\n%s=[name=%s,password=%s]\n' "$KAFKA_SCRAM_MECHANISM" "$KAFKA_SCRAM_USER" "$(scram_password 1)"
}

# Listener lines of kafka.properties for the current mode.
kafka_listener_config() {
  local host="$LEGATO_BIND_HOST" port controller
  port="$(kafka_port "${1:-1}")"
  controller="$(kafka_controller_port "${1:-1}")"
  if [ "$KAFKA_SECURITY" != sasl_ssl ]; then
    cat <<EOF
listeners=PLAINTEXT://$host:$port,CONTROLLER://$KAFKA_CONTROLLER_HOST:$controller
advertised.listeners=PLAINTEXT://$host:$port
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
    return 0
  fi
  cat <<EOF
listeners=SASL_SSL://$host:$port,CONTROLLER://$KAFKA_CONTROLLER_HOST:$controller
advertised.listeners=SASL_SSL://$host:$port
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=$KAFKA_SCRAM_MECHANISM
sasl.mechanism.inter.broker.protocol=$KAFKA_SCRAM_MECHANISM
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$(scram_jaas)
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_TLS_DIR/broker-keystore.pem
ssl.key.password=$(head -n1 "$KAFKA_TLS_DIR/broker-key.password")
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_TLS_DIR/ca.pem
ssl.client.auth=none
EOF
}

# A cluster's clients know every broker (any one answers the first metadata request); one broker's
# need nothing (the bootstrap default is 127.0.0.1:9092, or what the user set).
kafka_bootstrap_export() {
  [ "$KAFKA_BROKERS" -eq 1 ] || printf 'export LEGATO_KAFKA_BOOTSTRAP_SERVERS=%s' "$(kafka_bootstrap)"
}

# write_kafka_client_settings: kafka-client.env (export lines) and kafka-client.properties (Java tools).
write_kafka_client_settings() {
  (
    umask 077
    if [ "$KAFKA_SECURITY" = sasl_ssl ]; then
      cat >"$KAFKA_CLIENT_ENV" <<EOF
# Generated by deploy/stack.sh: how clients reach the local Kafka (SASL_SSL). Source it: . $KAFKA_CLIENT_ENV
export LEGATO_KAFKA_SECURITY_PROTOCOL=SASL_SSL
export LEGATO_KAFKA_SASL_MECHANISM=$KAFKA_SCRAM_MECHANISM
export LEGATO_KAFKA_SASL_USERNAME=$KAFKA_SCRAM_USER
export LEGATO_KAFKA_SASL_PASSWORD=$(scram_password 0)
export LEGATO_KAFKA_SSL_CA_FILE=$KAFKA_TLS_DIR/ca.pem
$(kafka_bootstrap_export)
EOF
      cat >"$KAFKA_CLIENT_PROPS" <<EOF
# Generated by deploy/stack.sh: Java client settings for the local Kafka (SASL_SSL).
security.protocol=SASL_SSL
sasl.mechanism=$KAFKA_SCRAM_MECHANISM
sasl.jaas.config=$(scram_jaas)
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_TLS_DIR/ca.pem
EOF
    else
      cat >"$KAFKA_CLIENT_ENV" <<EOF
# Generated by deploy/stack.sh: how clients reach the local Kafka (PLAINTEXT). Source it: . $KAFKA_CLIENT_ENV
export LEGATO_KAFKA_SECURITY_PROTOCOL=PLAINTEXT
unset LEGATO_KAFKA_SASL_MECHANISM LEGATO_KAFKA_SASL_USERNAME LEGATO_KAFKA_SASL_PASSWORD LEGATO_KAFKA_SSL_CA_FILE
$(kafka_bootstrap_export)
EOF
      printf '# Generated by deploy/stack.sh: Java client settings for the local Kafka (PLAINTEXT).\nsecurity.protocol=PLAINTEXT\n' \
        >"$KAFKA_CLIENT_PROPS"
    fi
  )
}
