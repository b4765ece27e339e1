{{/*
Helpers of the component templates. Each is called with the component chart's context, so .Chart and
.Values are the including chart's (frontend, backend or mcp).
*/}}

{{- define "todo-component.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<chart>, or fullnameOverride; a release already named like the chart is not repeated. */}}
{{- define "todo-component.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if hasSuffix $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "todo-component.deploymentName" -}}
{{- .Values.deploymentName | default (include "todo-component.fullname" .) }}
{{- end }}

{{- define "todo-component.serviceName" -}}
{{- .Values.service.name | default (include "todo-component.fullname" .) }}
{{- end }}

{{- define "todo-component.namespace" -}}
{{- (.Values.global).namespace | default .Release.Namespace }}
{{- end }}

{{- define "todo-component.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "todo-component.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-component.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .Values.component }}
{{- end }}

{{- define "todo-component.labels" -}}
helm.sh/chart: {{ include "todo-component.chart" . }}
{{ include "todo-component.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: todo-app
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "todo-component.image" -}}
{{- $tag := (.Values.global).imageTag | default .Values.image.tag | default .Chart.AppVersion -}}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}

{{/* This component's ConfigMap: role settings plus `env`. */}}
{{- define "todo-component.configMapName" -}}
{{- .Values.configMap.name | default (printf "%s-config" (include "todo-component.fullname" .)) }}
{{- end }}

{{/* This component's own Secret, when it has one (an existing one, or `secret.data` to create). */}}
{{- define "todo-component.ownSecretName" -}}
{{- if .Values.secret.existingSecret }}
{{- .Values.secret.existingSecret }}
{{- else if .Values.secret.data }}
{{- .Values.secret.name | default (printf "%s-secrets" (include "todo-component.fullname" .)) }}
{{- end }}
{{- end }}

{{/* The parent chart's shared ConfigMap and Secret (empty when installed alone). */}}
{{- define "todo-component.sharedConfigName" -}}
{{- $c := (.Values.global).config | default dict }}
{{- if $c.enabled }}{{ $c.name | default (printf "%s-config" .Release.Name) }}{{ end }}
{{- end }}

{{- define "todo-component.sharedSecretName" -}}
{{- $s := (.Values.global).secret | default dict }}
{{- if $s.existingSecret }}{{ $s.existingSecret }}
{{- else if $s.enabled }}{{ $s.name | default (printf "%s-secrets" .Release.Name) }}{{ end }}
{{- end }}

{{/* The Secret that `secretEnv` keys are read from: `secretEnvSecret`, else this component's, else the shared one. */}}
{{- define "todo-component.secretName" -}}
{{- .Values.secretEnvSecret | default (include "todo-component.ownSecretName" .) | default (include "todo-component.sharedSecretName" .) }}
{{- end }}

{{/* Environment sources, later ones winning: shared config, own config, shared secret, own secret. */}}
{{- define "todo-component.envFrom" -}}
{{- with include "todo-component.sharedConfigName" . }}
- configMapRef:
    name: {{ . }}
{{- end }}
- configMapRef:
    name: {{ include "todo-component.configMapName" . }}
{{- with include "todo-component.sharedSecretName" . }}
- secretRef:
    name: {{ . }}
{{- end }}
{{- with include "todo-component.ownSecretName" . }}
- secretRef:
    name: {{ . }}
{{- end }}
{{- end }}

{{/* Secrets stored under other key names (e.g. `database-url`), mapped to the variables the binary
reads; and the VAPID key (see "todo-component.vapidKeyRef"). */}}
{{- define "todo-component.secretEnv" -}}
{{- $secret := include "todo-component.secretName" . }}
{{- range $env, $key := .Values.secretEnv }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end }}
{{- with include "todo-component.vapidKeyRef" . }}
- name: VAPID_PRIVATE_KEY
  valueFrom:
    secretKeyRef:
      {{- trim . | nindent 6 }}
{{- end }}
{{- end }}

{{/* Web Push (`push`, the backend's only): where VAPID_PRIVATE_KEY comes from, as a secretKeyRef's
name and key. A key given inline lives in a Secret of its own (<full name>-vapid), read by this
component alone rather than by every pod that loads the shared Secret. Nothing when neither is set:
the backend then generates a key once and keeps it in the database. */}}
{{- define "todo-component.vapidKeyRef" -}}
{{- $p := .Values.push | default dict }}
{{- $existing := $p.existingSecret | default dict }}
{{- if and $p.vapidPrivateKey $existing.name }}
{{- fail "push: give vapidPrivateKey or existingSecret.name, not both" }}
{{- end }}
{{- if $p.vapidPrivateKey }}
name: {{ include "todo-component.fullname" . }}-vapid
key: VAPID_PRIVATE_KEY
{{- else if $existing.name }}
name: {{ $existing.name }}
key: {{ $existing.key | default "VAPID_PRIVATE_KEY" }}
{{- end }}
{{- end }}

{{- define "todo-component.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_15=Images are loaded into the cluster (minikube image load); pullPolicy Never is deliberate, Always would try a registry
checkov.io/skip2: CKV_K8S_43=Local images have no registry digest; minikube.sh tags them by content hash instead
checkov.io/skip3: CKV_K8S_35=Twelve-factor settings are read from environment variables; the Secret is only referenced, never inlined
{{- end }}
