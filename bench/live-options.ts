/** Command-line flags of `npm run bench:live`, validated like any other input. */
import { parseArgs } from "node:util";
import { z } from "zod";
import { MINI_PROGRAM_SCAN_RATE, SURFACES, type Surface } from "./live-phone";

const positiveInt = z.coerce.number().int().positive();

const liveOptionsSchema = z.object({
  surface: z.enum([...SURFACES, "both"]).default("official_account"),
  browsers: positiveInt.default(1000),
  rate: z.coerce.number().positive().max(1000).default(50),
  redeem: z.coerce.number().int().min(0).default(5),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "--database-url must be a postgresql:// URL")
    .optional(),
  skipBuild: z.boolean().default(false),
  timeoutMs: positiveInt.default(30_000),
});

export type LiveOptions = z.infer<typeof liveOptionsSchema>;

/** The surfaces `--surface` names, in the order they run. */
export function surfacesOf(options: LiveOptions): readonly Surface[] {
  return options.surface === "both" ? SURFACES : [options.surface];
}

export const LIVE_USAGE = `Usage: npm run bench:live -- [flags]

  --surface S         official_account (follow-to-login QR), mini_program (小程序码) or both (default official_account)
  --browsers N        waiting browsers per phase, SSE and polling (default 1000)
  --rate N            scans per second, then confirms per second (default 50); mini-program scans at most
                      ${MINI_PROGRAM_SCAN_RATE.toFixed(1)}/s, WeChat's jscode2session limit of 100 a minute per user
  --redeem N          confirmed tickets per phase redeemed afterwards as an end-to-end check (default 5)
  --database-url URL  run on PostgreSQL instead of a fresh embedded database (migrated first)
  --skip-build        reuse the last .next-bench build instead of running next build
  --timeout-ms N      per-request deadline, and how long a confirmed ticket may stay unnotified (default 30000)
  --help              this text`;

/** Parses argv (without node and the script); throws with a readable message on bad flags. */
export function parseLiveOptions(argv: string[]): LiveOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      surface: { type: "string" },
      browsers: { type: "string" },
      rate: { type: "string" },
      redeem: { type: "string" },
      "database-url": { type: "string" },
      "skip-build": { type: "boolean" },
      "timeout-ms": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return "help";
  const parsed = liveOptionsSchema.safeParse({
    surface: values.surface,
    browsers: values.browsers,
    rate: values.rate,
    redeem: values.redeem,
    databaseUrl: values["database-url"],
    skipBuild: values["skip-build"],
    timeoutMs: values["timeout-ms"],
  });
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  return parsed.data;
}
