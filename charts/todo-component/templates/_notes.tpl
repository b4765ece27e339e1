{{- define "todo-component.notes" -}}
{{- $svc := include "todo-component.serviceName" . -}}
{{- $ns := include "todo-component.namespace" . -}}
{{ .Values.component }} ({{ include "todo-component.image" . }}) in namespace {{ $ns }}.
{{- if eq .Values.service.type "NodePort" }}
From your machine:  {{ if .Values.service.nodePort }}http://$(minikube ip):{{ .Values.service.nodePort }}{{ else }}minikube service -n {{ $ns }} {{ $svc }} --url{{ end }}
{{- end }}
In the cluster:     http://{{ $svc }}.{{ $ns }}.svc:{{ .Values.service.port }}
Check it:           helm test -n {{ .Release.Namespace }} {{ .Release.Name }}
{{- end }}
