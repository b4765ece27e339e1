{{- define "todo-component.secret" -}}
{{- if and .Values.secret.data (not .Values.secret.existingSecret) }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "todo-component.ownSecretName" . }}
  namespace: {{ include "todo-component.namespace" . }}
  labels:
    {{- include "todo-component.labels" . | nindent 4 }}
type: Opaque
data:
  {{- range $k, $v := .Values.secret.data }}
  {{ $k }}: {{ toString $v | b64enc | quote }}
  {{- end }}
{{- end }}
{{- with (.Values.push | default dict).vapidPrivateKey }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "todo-component.fullname" $ }}-vapid
  namespace: {{ include "todo-component.namespace" $ }}
  labels:
    {{- include "todo-component.labels" $ | nindent 4 }}
type: Opaque
data:
  VAPID_PRIVATE_KEY: {{ . | b64enc | quote }}
{{- end }}
{{- end }}
