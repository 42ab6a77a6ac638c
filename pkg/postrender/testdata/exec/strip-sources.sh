#!/bin/sh
# A post-renderer that drops the "# Source:" comments, as kustomize does.
exec grep -v '^# Source:'
