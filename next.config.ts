import type { NextConfig } from "next";
import { getEnv } from "./lib/env";
import { securityHeaderRules } from "./lib/security-headers";

// Validates the environment when the server starts or builds: a misconfiguration stops here.
const env = getEnv();

const nextConfig: NextConfig = {
  ...(env.nextDistDir ? { distDir: env.nextDistDir } : {}),
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter"],
  // Bundled, not required at run time: the Pages API route (pages/api/login-tickets/[id]/events.ts)
  // imports server-only modules, and Node's own resolution of "server-only" picks the entry that throws.
  transpilePackages: ["server-only"],
  outputFileTracingIncludes: { "/*": ["./prisma/migrations/**/*"] },
  poweredByHeader: false,
  devIndicators: false,
  // forbidden() and app/forbidden.tsx: the operator console's 403 for a signed-in non-operator.
  experimental: { authInterrupts: true },
  async headers() {
    return securityHeaderRules(env);
  },
};

export default nextConfig;
