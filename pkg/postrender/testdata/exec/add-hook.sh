#!/bin/sh
# A post-renderer that adds an object annotated as a hook, and a plain one.
cat
cat <<'YAML'
---
apiVersion: batch/v1
kind: Job
metadata:
  name: added-by-post-renderer
  annotations:
    helm.sh/hook: post-install
    helm.sh/hook-weight: "3"
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox:1.36
---
# Source: extra/added.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: added
YAML
