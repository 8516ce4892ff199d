{{/* HorizontalPodAutoscaler and PodDisruptionBudget of a Deployment: include "usersys.scaling" (list $ "auth-gateway" .Values.authGateway) */}}
{{- define "usersys.scaling" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $app := index . 2 -}}
{{- $name := printf "%s-%s" (include "usersys.fullname" $root) $component -}}
{{- if $app.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- include "usersys.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ $app.autoscaling.minReplicas }}
  maxReplicas: {{ $app.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $app.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  labels:
    {{- include "usersys.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
spec:
  minAvailable: {{ $app.pdb.minAvailable }}
  selector:
    matchLabels:
      {{- include "usersys.selector" (list $root $component) | nindent 6 }}
{{- end -}}
