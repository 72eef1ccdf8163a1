/**
 * Grants the operator role (the /admin console) to one person, or takes it back:
 *   npm run admin:grant -- <phone | email | user id>
 *   npm run admin:grant -- --revoke <phone | email | user id>
 * The person must have signed in once. Runs against the configured database (DATABASE_URL, else
 * the embedded one: stop the app first, PGlite allows one process per data dir). The change and
 * its audit entry are written together.
 */
import { normalizeEmail, normalizePhone } from "@/lib/contact-proof/targets";
import { closeDatabase } from "@/lib/db/client";
import { setOperatorRole, type PersonKey } from "@/lib/db/operators";

function keyOf(input: string): PersonKey {
  if (input.includes("@")) {
    const email = normalizeEmail(input);
    if (email.ok) return { email: email.target };
  }
  if (/^\+?[\d\s()-]{5,}$/.test(input.trim())) {
    const phone = normalizePhone(input);
    if (phone.ok) return { phone: phone.target };
  }
  return { id: input.trim() };
}

const args = process.argv.slice(2);
const revoke = args.includes("--revoke");
const who = args.filter((arg) => arg !== "--revoke");
if (who.length !== 1 || !who[0]) {
  console.error("Usage: npm run admin:grant -- [--revoke] <phone | email | user id>");
  process.exit(2);
}

const result = await setOperatorRole(keyOf(who[0]), !revoke);
await closeDatabase();
if (!result.ok) {
  console.error(`No account found for ${who[0]}: the person must sign in once (with WeChat) first.`);
  process.exit(1);
}
const verb = revoke ? "revoked from" : "granted to";
console.log(`Operator role ${result.changed ? verb : `already ${revoke ? "absent for" : "held by"}`} user ${result.userId}.`);
