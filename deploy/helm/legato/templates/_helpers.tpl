{{/*
Names and labels.
*/}}
{{- define "legato.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "legato.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "legato.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object; call with (dict "root" $ "component" "orchestrator"). */}}
{{- define "legato.labels" -}}
helm.sh/chart: {{ include "legato.chart" .root }}
{{ include "legato.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: legato
{{- end }}

{{/* The labels a selector matches; call with (dict "root" $ "component" "orchestrator"). */}}
{{- define "legato.selectorLabels" -}}
app.kubernetes.io/name: {{ include "legato.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "legato.orchestratorName" -}}
{{- printf "%s-orchestrator" (include "legato.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* A worker Deployment's name; call with (dict "root" $ "language" "python"). */}}
{{- define "legato.workerName" -}}
{{- printf "%s-worker-%s" (include "legato.fullname" .root) .language | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "legato.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "legato.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: the ServiceAccount to use when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, the tag defaulting to the chart's appVersion; call with (dict "root" $ "image" .image). */}}
{{- define "legato.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}

{{/* Whether the Kafka client reads TLS files (a CA or a client certificate). */}}
{{- define "legato.kafkaTls" -}}
{{- if or .Values.kafka.tls.caSecret .Values.kafka.tls.clientSecret }}true{{ end }}
{{- end }}

{{/*
Checks every pod's settings depend on; rendered (as nothing) by each Deployment.
*/}}
{{- define "legato.validate" -}}
{{- $protocol := upper .Values.kafka.securityProtocol }}
{{- if not (has $protocol (list "PLAINTEXT" "SSL" "SASL_PLAINTEXT" "SASL_SSL")) }}
{{- fail (printf "kafka.securityProtocol: %q is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL" .Values.kafka.securityProtocol) }}
{{- end }}
{{- if hasPrefix "SASL_" $protocol }}
{{- if not .Values.kafka.sasl.mechanism }}
{{- fail (printf "kafka.sasl.mechanism is required with kafka.securityProtocol %s (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)" $protocol) }}
{{- end }}
{{- if not .Values.kafka.sasl.existingSecret }}
{{- fail (printf "kafka.sasl.existingSecret: the Secret with the SASL password is required with kafka.securityProtocol %s" $protocol) }}
{{- end }}
{{- end }}
{{- if and (or .Values.kafka.tls.caSecret .Values.kafka.tls.clientSecret) (not (has $protocol (list "SSL" "SASL_SSL"))) }}
{{- fail (printf "kafka.tls.caSecret / clientSecret are used with SSL or SASL_SSL only, not %s" $protocol) }}
{{- end }}
{{- end }}

{{/*
The Kafka settings every process reads (docs/security.md#connecting-to-a-secured-kafka), the
shared LEGATO_* variables and the log level, as EnvVar entries.
*/}}
{{- define "legato.commonEnv" -}}
{{- $protocol := upper .Values.kafka.securityProtocol -}}
- name: LEGATO_KAFKA_BOOTSTRAP_SERVERS
  value: {{ required "kafka.bootstrapServers is required" .Values.kafka.bootstrapServers | quote }}
- name: LEGATO_KAFKA_SECURITY_PROTOCOL
  value: {{ $protocol | quote }}
{{- if hasPrefix "SASL_" $protocol }}
- name: LEGATO_KAFKA_SASL_MECHANISM
  value: {{ upper .Values.kafka.sasl.mechanism | quote }}
{{- if .Values.kafka.sasl.username }}
- name: LEGATO_KAFKA_SASL_USERNAME
  value: {{ .Values.kafka.sasl.username | quote }}
{{- else }}
- name: LEGATO_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.usernameKey }}
{{- end }}
- name: LEGATO_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.passwordKey }}
{{- end }}
{{- if .Values.kafka.tls.caSecret }}
- name: LEGATO_KAFKA_SSL_CA_FILE
  value: {{ printf "/etc/legato/kafka-ca/%s" .Values.kafka.tls.caKey | quote }}
{{- end }}
{{- if .Values.kafka.tls.clientSecret }}
- name: LEGATO_KAFKA_SSL_CERT_FILE
  value: {{ printf "/etc/legato/kafka-client/%s" .Values.kafka.tls.certKey | quote }}
- name: LEGATO_KAFKA_SSL_KEY_FILE
  value: {{ printf "/etc/legato/kafka-client/%s" .Values.kafka.tls.keyKey | quote }}
{{- end }}
- name: LEGATO_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- include "legato.envMap" .Values.sharedEnv }}
{{- end }}

{{/* A map of plain variables as EnvVar entries, in name order. */}}
{{- define "legato.envMap" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* The Kafka TLS files' mounts (under /etc/legato) and the writable /tmp. */}}
{{- define "legato.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.tls.caSecret }}
- name: kafka-ca
  mountPath: /etc/legato/kafka-ca
  readOnly: true
{{- end }}
{{- if .Values.kafka.tls.clientSecret }}
- name: kafka-client
  mountPath: /etc/legato/kafka-client
  readOnly: true
{{- end }}
{{- end }}

{{/* The volumes behind legato.volumeMounts; call with (dict "root" $ "tmpSizeLimit" "256Mi"). */}}
{{- define "legato.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .tmpSizeLimit }}
{{- with .root.Values.kafka.tls }}
{{- if .caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ .caSecret }}
    defaultMode: 0440
    items:
      - key: {{ .caKey }}
        path: {{ .caKey }}
{{- end }}
{{- if .clientSecret }}
- name: kafka-client
  secret:
    secretName: {{ .clientSecret }}
    defaultMode: 0440
    items:
      - key: {{ .certKey }}
        path: {{ .certKey }}
      - key: {{ .keyKey }}
        path: {{ .keyKey }}
{{- end }}
{{- end }}
{{- end }}
