import { databaseKind, db } from "@/lib/db/client";

export const dynamic = "force-dynamic";

/** Readiness: the database answers (and the embedded one is migrated). */
export async function GET() {
  try {
    const prisma = await db();
    await prisma.$queryRaw`SELECT 1`;
    return Response.json({ ok: true, database: databaseKind() }, { headers: { "cache-control": "no-store" } });
  } catch {
    return Response.json({ ok: false }, { status: 503, headers: { "cache-control": "no-store" } });
  }
}
