{{- define "todo-component.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "todo-component.configMapName" . }}
  namespace: {{ include "todo-component.namespace" . }}
  labels:
    {{- include "todo-component.labels" . | nindent 4 }}
data:
  {{- $role := dict "HOST" "0.0.0.0" "PORT" (toString .Values.containerPort) "LOG_LEVEL" .Values.logLevel "LOG_FORMAT" "json" "SHUTDOWN_DELAY_SECONDS" (toString .Values.shutdownDelaySeconds) "DRAIN_TIMEOUT_SECONDS" (toString .Values.drainTimeoutSeconds) }}
  {{- with (.Values.push | default dict).subject }}
  {{- $_ := set $role "VAPID_SUBJECT" . }}
  {{- end }}
  {{- range $k, $v := mergeOverwrite $role .Values.env }}
  {{ $k }}: {{ toString $v | quote }}
  {{- end }}
{{- end }}
