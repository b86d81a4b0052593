{{/* Names ---------------------------------------------------------------- */}}
{{- define "vilokanam.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vilokanam.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Component names stay under 53 characters so pod names with suffixes fit 63. */}}
{{- define "vilokanam.component" -}}
{{- printf "%s-%s" (include "vilokanam.fullname" .root) .component | trunc 53 | trimSuffix "-" -}}
{{- end -}}

{{- define "vilokanam.operatorName" -}}{{ include "vilokanam.component" (dict "root" . "component" "operator") }}{{- end -}}
{{- define "vilokanam.signalingName" -}}{{ include "vilokanam.component" (dict "root" . "component" "signaling") }}{{- end -}}
{{- define "vilokanam.socialName" -}}{{ include "vilokanam.component" (dict "root" . "component" "social") }}{{- end -}}
{{- define "vilokanam.sfuTemplateName" -}}{{ include "vilokanam.component" (dict "root" . "component" "sfu-node") }}{{- end -}}
{{- define "vilokanam.secretName" -}}{{ default (include "vilokanam.component" (dict "root" . "component" "secrets")) .Values.secrets.existingSecret }}{{- end -}}
{{- define "vilokanam.fleetName" -}}{{ default (include "vilokanam.fullname" . | trunc 40 | trimSuffix "-") .Values.sfu.fleetName }}{{- end -}}
{{- define "vilokanam.leaseName" -}}{{ default (include "vilokanam.operatorName" .) .Values.operator.leaderElection.leaseName }}{{- end -}}

{{/* Labels --------------------------------------------------------------- */}}
{{- define "vilokanam.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: vilokanam
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "vilokanam.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vilokanam.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Images --------------------------------------------------------------- */}}
{{- define "vilokanam.image" -}}
{{- $tag := default (default .root.Chart.AppVersion .root.Values.image.tag) .image.tag -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s:%s" .root.Values.image.registry .image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Endpoints ------------------------------------------------------------ */}}
{{- define "vilokanam.redisUrl" -}}
{{- if .Values.redis.inChart.enabled -}}
{{- printf "redis://%s:6379/0" (include "vilokanam.component" (dict "root" . "component" "redis")) -}}
{{- else -}}
{{- required "redis.external.url is required unless redis.inChart.enabled" .Values.redis.external.url -}}
{{- end -}}
{{- end -}}

{{/* VILO_DATABASE_URL from the chart's Postgres Secret or the one given; signaling and social share the database. */}}
{{- define "vilokanam.databaseUrlEnv" -}}
{{- $secret := "" -}}
{{- $key := "url" -}}
{{- if or .Values.postgres.inChart.enabled .Values.postgres.external.url -}}
{{- $secret = include "vilokanam.component" (dict "root" . "component" "postgres") -}}
{{- else if .Values.postgres.external.existingSecret -}}
{{- $secret = .Values.postgres.external.existingSecret -}}
{{- $key = .Values.postgres.external.secretKey -}}
{{- else -}}
{{- fail "signaling needs Postgres (social too): set postgres.external.url, postgres.external.existingSecret or postgres.inChart.enabled" -}}
{{- end -}}
- name: VILO_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end -}}

{{/* Signaling signs session cookies with it and social verifies them: both read the same key. */}}
{{- define "vilokanam.sessionSecretEnv" -}}
- name: VILO_SESSION_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "vilokanam.secretName" . }}
      key: session-secret
{{- end -}}

{{/* The site's address, from the ingress; empty without one (the services' default applies). */}}
{{- define "vilokanam.publicUrl" -}}
{{- with .Values.signaling.ingress -}}
{{- if and .enabled .host -}}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .tls) 0)) .host -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Secret values: given, else the one already in the cluster, else a fresh one. */}}
{{- define "vilokanam.secretValue" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .name -}}
{{- if .value -}}
{{- .value | b64enc -}}
{{- else if and $existing (index ($existing.data | default dict) .key) -}}
{{- index $existing.data .key -}}
{{- else -}}
{{- randAlphaNum 48 | b64enc -}}
{{- end -}}
{{- end -}}

{{/* Pod-level bits --------------------------------------------------------- */}}
{{- define "vilokanam.scrapeAnnotations" -}}
{{- if .root.Values.metrics.prometheusAnnotations -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end -}}
{{- end -}}

{{- define "vilokanam.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ not .Values.dev.watch }}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
PodDisruptionBudget API: policy/v1 where the cluster serves it (1.21+), else policy/v1beta1
(1.20, removed in 1.25). Both the advertised group versions and the server version are checked:
`helm template` advertises every group version its client library knows (policy/v1 included)
and only --kube-version tells it the target.
*/}}
{{- define "vilokanam.pdbApiVersion" -}}
{{- if and (.Capabilities.APIVersions.Has "policy/v1") (semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version) -}}
policy/v1
{{- else if .Capabilities.APIVersions.Has "policy/v1beta1" -}}
policy/v1beta1
{{- end -}}
{{- end -}}

{{/* The command a Node service runs: `node --watch` under Tilt so synced sources restart it. */}}
{{- define "vilokanam.nodeCommand" -}}
{{- if .root.Values.dev.watch -}}
command: ["node", "--watch", "--watch-preserve-output", {{ .main | quote }}]
{{- else -}}
command: ["node", {{ .main | quote }}]
{{- end -}}
{{- end -}}

{{/* The recordings volume's claim: the one given, or the chart's own. */}}
{{- define "vilokanam.recordingsClaim" -}}{{ default (include "vilokanam.component" (dict "root" . "component" "recordings")) .Values.recordings.persistence.existingClaim }}{{- end -}}
