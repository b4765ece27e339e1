{{- define "todo-component.testConnection" -}}
{{- if .Values.test.enabled }}
# `helm test`: from inside the cluster, through the Service, the component must be ready.
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "todo-component.fullname" . }}-test
  namespace: {{ include "todo-component.namespace" . }}
  labels:
    {{- include "todo-component.labels" . | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    {{- include "todo-component.checkovSkips" . | nindent 4 }}
    checkov.io/skip4: CKV_K8S_8=A one-shot test pod that exits in milliseconds has nothing to probe
    checkov.io/skip5: CKV_K8S_9=A one-shot test pod that exits in milliseconds has nothing to probe
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: healthcheck
      image: {{ include "todo-component.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - healthcheck
        - http://{{ include "todo-component.serviceName" . }}.{{ include "todo-component.namespace" . }}.svc:{{ .Values.service.port }}{{ .Values.readinessProbe.httpGet.path }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
{{- end }}
{{- end }}
