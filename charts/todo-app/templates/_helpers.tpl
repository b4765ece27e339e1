{{- define "todo-app.namespace" -}}
{{- .Values.global.namespace | default .Release.Namespace }}
{{- end }}

{{- define "todo-app.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: todo-app
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* A component's Service name, computed as its sub-chart does (fullnameOverride, service.name). */}}
{{- define "todo-app.serviceName" -}}
{{- $v := index .root.Values .component }}
{{- $full := $v.fullnameOverride }}
{{- if not $full }}
{{- $name := $v.nameOverride | default .component }}
{{- $full = ternary .root.Release.Name (printf "%s-%s" .root.Release.Name $name) (hasSuffix $name .root.Release.Name) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- (($v.service).name) | default $full }}
{{- end }}

{{- define "todo-app.configName" -}}
{{- .Values.global.config.name | default (printf "%s-config" .Release.Name) }}
{{- end }}

{{- define "todo-app.secretName" -}}
{{- .Values.global.secret.existingSecret | default (.Values.global.secret.name | default (printf "%s-secrets" .Release.Name)) }}
{{- end }}

{{/* The in-cluster PostgreSQL runs unless the database is given from outside. */}}
{{- define "todo-app.postgresql" -}}
{{- if and .Values.postgresql.enabled .Values.global.secret.enabled (not .Values.global.secret.existingSecret) (not (hasKey .Values.global.secret.data "DATABASE_URL")) }}true{{ end }}
{{- end }}

{{- define "todo-app.postgresqlName" -}}
{{- printf "%s-postgresql" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* A value kept across upgrades: read back from the live Secret, else given, else generated. */}}
{{- define "todo-app.keep" -}}
{{- $live := lookup "v1" "Secret" .ns .secret }}
{{- if and $live (hasKey ($live.data | default dict) .key) }}
{{- index $live.data .key | b64dec }}
{{- else }}
{{- .given | default (randAlphaNum (int .length)) }}
{{- end }}
{{- end }}
