{{- define "full.name" -}}full{{- end -}}
