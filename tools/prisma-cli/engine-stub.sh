#!/bin/sh
# Stands in for Prisma's native engines, which these offline machines cannot download.
# Only the CLI sees it (generate, and the Wasm-engine migrate of tools/prisma-cli); the app never does.
exit 1
