{{/* A component that serves nothing but metrics and probes: its metrics port, from `from` only. */}}
{{- define "vilokanam.metricsOnlyPolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "vilokanam.component" (dict "root" .root "component" .component) }}
  labels:
    {{- include "vilokanam.labels" .root | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "vilokanam.selectorLabels" (dict "root" .root "component" .component) | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - ports:
        - port: {{ .port }}
          protocol: TCP
      from:
        {{- toYaml .from | nindent 8 }}
{{- end -}}

{{/*
Signaling and social: the public port from networkPolicy.publicFrom (empty: from anywhere, as a
NodePort or LoadBalancer needs), the ops port (probes, /metrics) from `from` only.
*/}}
{{- define "vilokanam.publicPolicy" -}}
{{- $public := .root.Values.networkPolicy.publicFrom -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "vilokanam.component" (dict "root" .root "component" .component) }}
  labels:
    {{- include "vilokanam.labels" .root | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "vilokanam.selectorLabels" (dict "root" .root "component" .component) | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - ports:
        - port: {{ .port }}
          protocol: TCP
      {{- if $public }}
      from:
        {{- toYaml (append (deepCopy $public) .tests) | nindent 8 }}
      {{- end }}
    - ports:
        - port: {{ .opsPort }}
          protocol: TCP
      from:
        {{- toYaml .from | nindent 8 }}
{{- end -}}
