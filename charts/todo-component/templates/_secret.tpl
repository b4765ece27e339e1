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
{{- end }}
