{{/* Names and labels. */}}
{{- define "l2c.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "l2c.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "root" $ "component" "leads-api"). */}}
{{- define "l2c.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "l2c.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "l2c.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "l2c.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Environment of every L2C container; call with (dict "root" $ "principal" "leads"). */}}
{{- define "l2c.env" -}}
{{- $root := .root -}}
- name: L2C_BIND_HOST
  value: "0.0.0.0"
- name: L2C_DATA_DIR
  value: /var/lib/l2c
- name: L2C_STORE
  value: {{ $root.Values.store | quote }}
{{- if eq $root.Values.store "kurrentdb" }}
- name: L2C_KURRENTDB_URI
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.kurrentdb.existingSecret }}
      key: {{ $root.Values.kurrentdb.uriKey }}
{{- else }}
- name: L2C_POSTGRES_HOST
  value: {{ $root.Values.postgres.host | quote }}
- name: L2C_POSTGRES_PORT
  value: {{ $root.Values.postgres.port | quote }}
- name: L2C_POSTGRES_DBNAME
  value: {{ $root.Values.postgres.dbname | quote }}
- name: L2C_POSTGRES_USER
  value: {{ $root.Values.postgres.user | quote }}
- name: L2C_POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.postgres.existingSecret }}
      key: {{ $root.Values.postgres.passwordKey }}
{{- end }}
- name: L2C_KAFKA_BOOTSTRAP
  value: {{ $root.Values.kafka.bootstrap | quote }}
- name: L2C_AUDIT_CHECKPOINT_EVERY
  value: {{ $root.Values.audit.checkpointEvery | quote }}
- name: L2C_KAFKA_SECURITY_PROTOCOL
  value: {{ $root.Values.kafka.securityProtocol | quote }}
- name: L2C_KAFKA_SASL_MECHANISM
  value: {{ $root.Values.kafka.saslMechanism | quote }}
{{- if and $root.Values.kafka.existingSecret .principal }}
- name: L2C_KAFKA_USERNAME
  value: {{ .principal | quote }}
- name: L2C_KAFKA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.kafka.existingSecret }}
      key: {{ printf "%s-password" .principal }}
{{- end }}
{{- with $root.Values.schemaRegistry.url }}
- name: L2C_SCHEMA_REGISTRY_URL
  value: {{ . | quote }}
{{- end }}
{{- with $root.Values.schemaRegistry.existingSecret }}
- name: L2C_SCHEMA_REGISTRY_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: username
- name: L2C_SCHEMA_REGISTRY_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: password
{{- end }}
- name: L2C_TOPIC_PARTITIONS
  value: {{ $root.Values.kafka.topicPartitions | quote }}
- name: L2C_TOPIC_REPLICATION_FACTOR
  value: {{ $root.Values.kafka.replicationFactor | quote }}
{{- with $root.Values.deployment }}
- name: L2C_DEPLOYMENT
  value: {{ . | quote }}
{{- end }}
- name: L2C_LOG_LEVEL
  value: {{ $root.Values.logLevel | quote }}
- name: L2C_AUTH_ISSUER
  value: {{ required "auth.issuer is required (the issuer of your bearer tokens)" $root.Values.auth.issuer | quote }}
- name: L2C_AUTH_AUDIENCE
  value: {{ $root.Values.auth.audience | quote }}
- name: L2C_AUTH_JWKS_URL
  value: {{ required "auth.jwksUrl is required (the issuer's JWKS)" $root.Values.auth.jwksUrl | quote }}
- name: L2C_RATE_LIMIT
  value: {{ $root.Values.auth.rateLimit | quote }}
{{- with $root.Values.auth.webhookSecretsSecret }}
- name: L2C_WEBHOOK_SECRETS
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: webhook-secrets
{{- end }}
- name: L2C_OTEL_EXPORTER
  value: {{ $root.Values.otel.exporter | quote }}
{{- with $root.Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $root.Values.otel.protocol | quote }}
{{- end }}
- name: L2C_LEADS_URL
  value: {{ printf "http://%s-leads-api:8080" (include "l2c.fullname" $root) | quote }}
- name: L2C_DEALS_URL
  value: {{ printf "http://%s-deals-api:8080" (include "l2c.fullname" $root) | quote }}
- name: L2C_BILLING_URL
  value: {{ printf "http://%s-billing-api:8080" (include "l2c.fullname" $root) | quote }}
- name: L2C_INSIGHTS_URL
  value: {{ printf "http://%s-insights:8080" (include "l2c.fullname" $root) | quote }}
- name: L2C_INSIGHTS_READY_LAG
  value: {{ $root.Values.insights.readyLag | quote }}
{{- end -}}

{{/* Probes of every L2C container (all serve /healthz and /readyz on 8080). */}}
{{- define "l2c.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 5
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
{{- end -}}

{{/* The pod-level pieces every L2C pod shares. */}}
{{- define "l2c.podCommon" -}}
serviceAccountName: {{ include "l2c.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod annotations that let a Prometheus with the usual kubernetes-pods job find /metrics. */}}
{{- define "l2c.scrape" -}}
{{- if .Values.metrics.scrapeAnnotations -}}
annotations:
  prometheus.io/scrape: "true"
  prometheus.io/port: "8080"
  prometheus.io/path: /metrics
{{- end -}}
{{- end -}}
