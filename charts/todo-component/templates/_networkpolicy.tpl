{{- define "todo-component.networkPolicy" -}}
{{- if .Values.networkPolicy.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "todo-component.deploymentName" . }}
  namespace: {{ include "todo-component.namespace" . }}
  labels:
    {{- include "todo-component.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "todo-component.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
  ingress:
    # Only the HTTP port is open; `from` narrows who may call it (empty: anyone, as a NodePort needs).
    - ports:
        - port: {{ .Values.containerPort }}
          protocol: TCP
      {{- with .Values.networkPolicy.from }}
      from:
        {{- tpl (toYaml .) $ | nindent 8 }}
      {{- end }}
{{- end }}
{{- end }}
