{{- define "todo-component.pdb" -}}
{{- if .Values.pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "todo-component.deploymentName" . }}
  namespace: {{ include "todo-component.namespace" . }}
  labels:
    {{- include "todo-component.labels" . | nindent 4 }}
spec:
  # maxUnavailable (not minAvailable) so a single replica never blocks a node drain.
  maxUnavailable: {{ .Values.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "todo-component.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}
