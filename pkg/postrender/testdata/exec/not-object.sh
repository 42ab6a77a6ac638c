#!/bin/sh
cat >/dev/null
printf -- '---\n# Source: x/y.yaml\njust: data\n'
