#!/bin/sh
# Placeholder for PRISMA_SCHEMA_ENGINE_BINARY, set by prisma.config.ts ONLY for commands that never run the
# schema engine (generate/validate/format), so they don't try to download the binary on an offline machine.
echo "No native Prisma schema-engine binary on this machine. Apply migrations with: node --import tsx tools/migrate.ts" >&2
exit 1
