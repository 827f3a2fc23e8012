{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "livepreview.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "livepreview.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The headless Service that gives every pod a stable DNS name (its InternalUrl). */}}
{{- define "livepreview.headless" -}}
{{- printf "%s-instances" (include "livepreview.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "livepreview.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "livepreview.selectorLabels" -}}
app.kubernetes.io/name: {{ include "livepreview.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "livepreview.labels" -}}
helm.sh/chart: {{ include "livepreview.chart" . }}
{{ include "livepreview.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* https when TLS terminates at the Ingress, which is what browsers see. */}}
{{- define "livepreview.scheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{- define "livepreview.origin" -}}
{{- printf "%s://%s" (include "livepreview.scheme" .) .Values.host }}
{{- end }}
