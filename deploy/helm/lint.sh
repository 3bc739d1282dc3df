#!/usr/bin/env bash
# Checks the Helm chart deploy/helm/legato; run by `make lint-helm`, which first installs the tools
# and schemas named below into .legato/tools (docs/kubernetes.md#how-the-chart-is-checked).
#
#   1. `helm lint --strict` with the default values and with each values file of ci/;
#   2. `helm template` of the same, every manifest validated by `kubeconform -strict` against the
#      Kubernetes JSON schemas of KUBE_VERSION and the prometheus-operator CRDs' schemas, all on
#      disk (no kind may go without a schema), and each container's environment checked against the
#      code that reads it (envcheck.py: every LEGATO_* name is read, every value accepted);
#   3. what must be refused is: values the chart rejects fail to render, manifests with a wrong
#      field type or an unknown field fail kubeconform (so schemas that stopped being read, or that
#      accept anything, cannot pass step 2 unnoticed), a variable no process reads fails envcheck.py.
#
# Environment: HELM, KUBECONFORM (the binaries), SCHEMAS (kubernetes/ and crds/ inside), KUBE_VERSION,
# PYTHON (the project's venv, where the orchestrator and the Python SDK are installed).
set -euo pipefail

: "${HELM:?path of helm}" "${KUBECONFORM:?path of kubeconform}" "${SCHEMAS:?schema folder}"
: "${KUBE_VERSION:?Kubernetes release, e.g. 1.31.0}" "${PYTHON:?python of the project venv}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CHART="$HERE/legato"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

validate() {
  "$KUBECONFORM" -strict -summary -kubernetes-version "$KUBE_VERSION" \
    -schema-location "$SCHEMAS/kubernetes/{{ .NormalizedKubernetesVersion }}-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$SCHEMAS/crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$@"
}

render() { # render NAME [helm template options...]: the manifests, in $WORK/NAME.yaml
  local name="$1"
  shift
  "$HELM" template legato "$CHART" --namespace legato --kube-version "$KUBE_VERSION" "$@" >"$WORK/$name.yaml"
}

# 1 and 2: the default values, then each ci/ values file.
cases=(default)
for file in "$CHART"/ci/*.yaml; do
  cases+=("$file")
done
for case in "${cases[@]}"; do
  options=()
  name=default
  if [[ "$case" != default ]]; then
    options=(--values "$case")
    name="$(basename "$case" .yaml)"
  fi
  echo "helm chart, ${name} values: helm lint, kubeconform, environment"
  "$HELM" lint --strict --quiet --kube-version "$KUBE_VERSION" "${options[@]}" "$CHART"
  render "$name" "${options[@]}"
  validate "$WORK/$name.yaml"
  "$PYTHON" "$HERE/envcheck.py" "$WORK/$name.yaml"
done

# 3: what must be refused, for the reason expected.
refused() { # refused WHAT REASON COMMAND...: COMMAND must fail and say REASON (a grep -F pattern)
  local what="$1" reason="$2"
  shift 2
  if "$@" >"$WORK/refusal.out" 2>&1; then
    echo "not refused: $what" >&2
    cat "$WORK/refusal.out" >&2
    exit 1
  fi
  if ! grep -qF -- "$reason" "$WORK/refusal.out"; then
    echo "refused, but not for '$reason': $what" >&2
    cat "$WORK/refusal.out" >&2
    exit 1
  fi
}
refused "SASL_SSL without kafka.sasl.mechanism" "kafka.sasl.mechanism is required" \
  render r1 --set kafka.securityProtocol=SASL_SSL
refused "metrics.serviceMonitor without its API key Secret" "metrics.serviceMonitor.apiKeySecret" \
  render r2 --set metrics.serviceMonitor.enabled=true
refused "orchestrator.allowedHosts with metrics.serviceMonitor" "cannot be combined with metrics.serviceMonitor" \
  render r3 --set metrics.serviceMonitor.enabled=true,metrics.serviceMonitor.apiKeySecret=k \
  --set 'orchestrator.allowedHosts={legato.internal}'
refused "a value of the wrong type (values.schema.json)" "/orchestrator/replicaCount" \
  render r4 --set-string orchestrator.replicaCount=two

sed 's/^  replicas: 2$/  replicas: "2"/' "$WORK/default.yaml" >"$WORK/bad-type.yaml"
grep -q '^  replicas: "2"$' "$WORK/bad-type.yaml" || { echo "the default render has no 'replicas: 2'" >&2; exit 1; }
refused "a Deployment whose replicas is a string" "at '/spec/replicas': got string" validate "$WORK/bad-type.yaml"

sed 's/^      path: \/metrics$/      path: \/metrics\n      unknownField: true/' "$WORK/ha-values.yaml" >"$WORK/bad-field.yaml"
grep -q 'unknownField' "$WORK/bad-field.yaml" || { echo "the ha-values render has no ServiceMonitor path" >&2; exit 1; }
refused "a ServiceMonitor endpoint with an unknown field" "additional properties 'unknownField' not allowed" \
  validate "$WORK/bad-field.yaml"

render bad-env --set sharedEnv.LEGATO_KAFKA_SECURITY=sasl_ssl
refused "LEGATO_KAFKA_SECURITY (the Makefile's, read by no process)" "LEGATO_KAFKA_SECURITY is not read" \
  "$PYTHON" "$HERE/envcheck.py" "$WORK/bad-env.yaml"
render bad-value --set orchestrator.env.LEGATO_RETENTION_DAYS=-1
refused "LEGATO_RETENTION_DAYS=-1" "LEGATO_RETENTION_DAYS must be at least 0" \
  "$PYTHON" "$HERE/envcheck.py" "$WORK/bad-value.yaml"
echo "helm chart: refusals checked (bad values, a wrong field type, an unknown field, an unread variable)"
