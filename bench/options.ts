/** Command-line flags of `npm run bench:login`, validated like any other input. */
import { parseArgs } from "node:util";
import { z } from "zod";

const positiveInt = z.coerce.number().int().positive();

const optionsSchema = z.object({
  concurrency: positiveInt.default(20),
  logins: positiveInt.default(300),
  warmup: z.coerce.number().int().min(0).default(20),
  rounds: positiveInt.default(4),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "--database-url must be a postgresql:// URL")
    .optional(),
  skipBuild: z.boolean().default(false),
  timeoutMs: positiveInt.default(30_000),
  telemetryLogins: z.coerce.number().int().min(0).default(800),
  telemetryRounds: positiveInt.default(8),
  telemetrySessions: positiveInt.default(4),
  telemetryWarmup: z.coerce.number().int().min(0).default(400),
  telemetryOnly: z.boolean().default(false),
});

export type BenchOptions = z.infer<typeof optionsSchema>;

export const USAGE = `Usage: npm run bench:login -- [flags]

  --concurrency N     virtual users logging in at once (default 20)
  --logins N          measured logins per provider (default 300)
  --warmup N          untimed logins per provider before measuring (default 20)
  --rounds N          measured rounds per provider, run A/B/B/A… (default 4)
  --database-url URL  run on PostgreSQL instead of a fresh embedded database (migrated first)
  --skip-build        reuse the last .next-bench build instead of running next build
  --timeout-ms N      per-request deadline (default 30000)
  --telemetry-logins N  measured logins per telemetry mode in each session (off, metrics, metrics + traces); 0 skips them (default 800)
  --telemetry-rounds N  rounds per telemetry mode, the order rotating each round (default 8)
  --telemetry-sessions N  times the telemetry comparison runs, each on freshly started servers (default 4)
  --telemetry-warmup N  untimed logins per telemetry mode at the start of each session (default 400)
  --telemetry-only    only the telemetry comparison, not ours vs stock
  --help              this text`;

/** Parses argv (without node and the script); throws with a readable message on bad flags. */
export function parseBenchOptions(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      concurrency: { type: "string" },
      logins: { type: "string" },
      warmup: { type: "string" },
      rounds: { type: "string" },
      "database-url": { type: "string" },
      "skip-build": { type: "boolean" },
      "timeout-ms": { type: "string" },
      "telemetry-logins": { type: "string" },
      "telemetry-rounds": { type: "string" },
      "telemetry-warmup": { type: "string" },
      "telemetry-sessions": { type: "string" },
      "telemetry-only": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return "help";
  const parsed = optionsSchema.safeParse({
    concurrency: values.concurrency,
    logins: values.logins,
    warmup: values.warmup,
    rounds: values.rounds,
    databaseUrl: values["database-url"],
    skipBuild: values["skip-build"],
    timeoutMs: values["timeout-ms"],
    telemetryLogins: values["telemetry-logins"],
    telemetryRounds: values["telemetry-rounds"],
    telemetryWarmup: values["telemetry-warmup"],
    telemetrySessions: values["telemetry-sessions"],
    telemetryOnly: values["telemetry-only"],
  });
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  return parsed.data;
}
