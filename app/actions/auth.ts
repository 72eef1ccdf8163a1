"use server";

import { signOut } from "@/lib/auth";

export async function signOutAction(): Promise<void> {
  // `signed_out` keeps /login from signing a WeChat in-app browser straight back in.
  await signOut({ redirectTo: "/login?signed_out=1" });
}
