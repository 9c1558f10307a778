#!/bin/sh
# The app container's start: schema, first admin, then the server (signed-in mode).
#
#   1. nexus-panel db upgrade      the schema, once, before the workers fork (so two
#                                  --num-procs workers never migrate at the same time)
#   2. nexus-panel users bootstrap the first admin from NEXUS_ADMIN_USER and
#                                  NEXUS_ADMIN_PASSWORD_FILE (or NEXUS_ADMIN_PASSWORD), only
#                                  while the database has no account; a no-op afterwards, so
#                                  the variables may stay set. With no account and no
#                                  variables it stops here, saying what to set.
#   3. exec nexus-panel serve --auth ...  the server as PID 1's replacement (signals reach
#                                  it); the arguments given to the container (compose's
#                                  `command:`) come last, so they add flags or override
#                                  these (argparse keeps the last --address/--port).
#
# DATABASE_URL and NEXUS_COOKIE_SECRET come from the environment (deploy/compose.yaml).
# Runs unchanged outside a container; tests/commands/test_deploy_entrypoint.py does.
set -eu
nexus-panel db upgrade
nexus-panel users bootstrap
exec nexus-panel serve --auth --address 0.0.0.0 --port 5006 --liveness --use-xheaders "$@"
