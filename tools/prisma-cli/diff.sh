#!/usr/bin/env bash
# Writes the SQL that takes the schema at git HEAD (or nothing, for the first migration) to the
# working prisma/schema.prisma into a new prisma/migrations/<timestamp>_<name>/migration.sql.
# It runs the Prisma 6 CLI with its Wasm engine, because Prisma 7's CLI needs native engines
# that offline machines cannot download. With network access, `prisma migrate dev` does the same.
# Usage: tools/prisma-cli/diff.sh <migration_name>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=${1:?migration name}
[ -d "$here/node_modules/prisma" ] || (cd "$here" && npm install --no-audit --no-fund >/dev/null)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The Prisma 6 CLI wants a url in the datasource and no prisma-client generator.
to_cli_schema() { awk '/^generator /{skip=1} skip&&/^}/{skip=0;next} !skip' | sed 's|^  provider = "postgresql"|  provider = "postgresql"\n  url      = env("DATABASE_URL")|'; }
to_cli_schema < "$root/prisma/schema.prisma" > "$tmp/to.prisma"
from=(--from-empty)
if git -C "$root" cat-file -e HEAD:prisma/schema.prisma 2>/dev/null && ls "$root"/prisma/migrations/*/migration.sql >/dev/null 2>&1; then
  git -C "$root" show HEAD:prisma/schema.prisma | to_cli_schema > "$tmp/from.prisma"
  from=(--from-schema-datamodel "$tmp/from.prisma")
fi
export PRISMA_SCHEMA_ENGINE_BINARY="$here/engine-stub.sh" PRISMA_QUERY_ENGINE_LIBRARY="$here/engine-stub.sh"
export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
(cd "$here" && npx prisma migrate diff "${from[@]}" --to-schema-datamodel "$tmp/to.prisma" --script) > "$tmp/migration.sql"
out="$root/prisma/migrations/$(date -u +%Y%m%d%H%M%S)_$name"
mkdir -p "$out" && mv "$tmp/migration.sql" "$out/migration.sql"
echo "wrote ${out#$root/}/migration.sql"
