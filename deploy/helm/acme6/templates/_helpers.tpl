{{/* The prefix of every object's name. */}}
{{- define "acme6.fullname" -}}
{{- default "acme6" .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "acme6.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "acme6.labels" -}}
app.kubernetes.io/name: acme6
app.kubernetes.io/part-of: acme6
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component: "controller" or "agent". */}}
{{- define "acme6.selector" -}}
app.kubernetes.io/name: acme6
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}
