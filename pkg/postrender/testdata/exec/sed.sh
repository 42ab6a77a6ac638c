#!/bin/sh
# A post-renderer that replaces $1 with $2 everywhere (as --post-renderer-args
# would pass them), keeping the "# Source:" comments.
exec sed -e "s|$1|$2|g"
