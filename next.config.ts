import type { NextConfig } from "next";
import { getEnv } from "./lib/env";

// Validates the environment when the server starts or builds: a misconfiguration stops here.
const env = getEnv();

const nextConfig: NextConfig = {
  ...(env.nextDistDir ? { distDir: env.nextDistDir } : {}),
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter"],
  outputFileTracingIncludes: { "/*": ["./prisma/migrations/**/*"] },
  poweredByHeader: false,
  devIndicators: false,
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
