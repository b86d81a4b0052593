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
{{- define "vilokanam.settlementName" -}}{{ include "vilokanam.component" (dict "root" . "component" "settlement") }}{{- end -}}
{{- define "vilokanam.redisName" -}}{{ include "vilokanam.component" (dict "root" . "component" "redis") }}{{- end -}}
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
{{/* The components that talk to Redis; with redis.inChart.aclUsers each has its own user. */}}
{{- define "vilokanam.redisClients" -}}operator signaling social settlement sfu-node{{- end -}}

{{/*
VILO_REDIS_URL, always from a Secret (it carries the password): the in-chart Redis's Secret
(one URL per component with aclUsers), the chart's Secret holding redis.external.url, or the
Secret the user named.
*/}}
{{- define "vilokanam.redisUrlEnv" -}}
{{- $root := .root -}}
{{- $r := $root.Values.redis -}}
{{- $secret := include "vilokanam.redisName" $root -}}
{{- $key := "url" -}}
{{- if $r.inChart.enabled -}}
{{- if $r.inChart.aclUsers -}}{{- $key = printf "url-%s" .component -}}{{- end -}}
{{- else if $r.external.url -}}
{{- else if $r.external.existingSecret -}}
{{- $secret = $r.external.existingSecret -}}
{{- $key = $r.external.secretKey -}}
{{- else -}}
{{- fail "redis.external.url (or redis.external.existingSecret) is required unless redis.inChart.enabled" -}}
{{- end -}}
- name: VILO_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
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

{{/* Signaling signs billing sessions and settlement verifies them (VILO_BILLING_SESSION_KEY). */}}
{{- define "vilokanam.billingKeyEnv" -}}
- name: VILO_BILLING_SESSION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "vilokanam.secretName" . }}
      key: billing-session-key
{{- end -}}

{{/* Rolls pods when a secret value given in values changes (generated ones never change). */}}
{{- define "vilokanam.secretsChecksum" -}}
{{- list .Values.secrets .Values.postgres.inChart.password .Values.postgres.external .Values.redis.external .Values.redis.inChart.password .Values.redis.inChart.aclUsers | toJson | sha256sum -}}
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

{{/* Where the payout signer's Secret is mounted in settlement (VILO_CHAIN_SIGNER_FILE). */}}
{{- define "vilokanam.signerDir" -}}/var/run/secrets/vilokanam/signer{{- end -}}
{{- define "vilokanam.signerPath" -}}{{ include "vilokanam.signerDir" . }}/signer{{- end -}}

{{/* Helm test Pods: fetch each URL (a few tries), exit non-zero on the first that fails. */}}
{{- define "vilokanam.testScript" -}}
for (const url of process.argv.slice(1)) {
  let last = '';
  for (let i = 0; i < 5; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      if (res.ok) { console.log('ok', url, res.status); last = ''; break; }
      last = url + ' answered ' + res.status + ' ' + body.slice(0, 200);
    } catch (err) { last = url + ' ' + err.message; }
    await new Promise((r) => setTimeout(r, 2000));
  }
  if (last) { console.error('FAIL', last); process.exit(1); }
}
{{- end -}}

{{/* The Service that carries signaling's `ops` port (its own when the main one is published). */}}
{{- define "vilokanam.signalingOpsService" -}}
{{- include "vilokanam.signalingName" . -}}{{- if ne .Values.signaling.service.type "ClusterIP" }}-ops{{ end -}}
{{- end -}}

{{/*
A `helm test` Pod: the signaling image's node fetches each URL and exits non-zero on the first
failure. Labelled helm-test so the NetworkPolicies let it reach the ops and metrics ports.
*/}}
{{- define "vilokanam.testPod" -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "vilokanam.component" (dict "root" .root "component" (printf "test-%s" .name)) }}
  labels:
    {{- include "vilokanam.labels" .root | nindent 4 }}
    {{- include "vilokanam.selectorLabels" (dict "root" .root "component" "helm-test") | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- with .root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: check
      image: {{ include "vilokanam.image" (dict "root" .root "image" .root.Values.signaling.image) }}
      imagePullPolicy: {{ .root.Values.image.pullPolicy }}
      command:
        - node
        - --input-type=module
        - -e
        - {{ include "vilokanam.testScript" . | quote }}
        {{- range .urls }}
        - {{ . | quote }}
        {{- end }}
      resources:
        requests: { cpu: 10m, memory: 64Mi }
        limits: { memory: 128Mi }
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        capabilities:
          drop: [ALL]
        seccompProfile:
          type: RuntimeDefault
{{- end -}}
