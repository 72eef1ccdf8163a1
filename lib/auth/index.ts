/**
 * The Auth.js entry: `{ handlers, auth, signIn, signOut }`.
 *
 * Sessions are Auth.js database sessions (Prisma adapter) in an HttpOnly cookie. WeChat
 * sign-in runs through lib/login/ (complete-sign-in.ts), which opens the same kind of
 * session; the config is lazy so the database is opened on first use, never at import
 * (a second PGlite on one data dir would abort the process).
 */
import "server-only";
import { PrismaAdapter } from "@auth/prisma-adapter";
import NextAuth from "next-auth";
import { getPrisma } from "@/lib/db/client";
import { closeLoginStatesOfUser } from "@/lib/db/login-states";
import { SESSION_MAX_AGE_SECONDS } from "@/lib/db/sessions";
import { getEnv } from "@/lib/env";
import { stockWechatProvider } from "@/lib/wechat/stock-provider";
import { usesSecureCookies } from "./cookies";

export const { handlers, auth, signIn, signOut } = NextAuth(() => {
  const env = getEnv();
  return {
    adapter: PrismaAdapter(getPrisma()),
    secret: env.authSecret,
    trustHost: true,
    useSecureCookies: usesSecureCookies(),
    session: { strategy: "database", maxAge: SESSION_MAX_AGE_SECONDS },
    providers: env.wechat.stockProvider ? [stockWechatProvider()] : [],
    pages: { signIn: "/login", error: "/login/error" },
    events: {
      // A signed-out browser must not be signed back in by replaying its old WeChat callback.
      async signOut(message) {
        if ("session" in message && message.session?.userId) await closeLoginStatesOfUser(message.session.userId);
      },
    },
    callbacks: {
      session({ session, user }) {
        session.user.id = user.id;
        return session;
      },
    },
  };
});
