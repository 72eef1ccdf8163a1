import { databaseKind, pingDatabase } from "@/lib/db/client";

export const dynamic = "force-dynamic";

/** Readiness: the database answers (and the embedded one is migrated). */
export async function GET() {
  try {
    await pingDatabase();
    return Response.json({ ok: true, database: databaseKind() }, { headers: { "cache-control": "no-store" } });
  } catch {
    return Response.json({ ok: false }, { status: 503, headers: { "cache-control": "no-store" } });
  }
}
