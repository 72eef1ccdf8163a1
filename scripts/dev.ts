/**
 * `npm run dev`: the WeChat emulator and the Next.js dev server together, on the embedded
 * database. Ctrl-C stops both.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { startEmulator } from "../emulator/server";

const emulatorPort = Number(process.env.EMULATOR_PORT ?? 3100);
const appPort = Number(process.env.PORT ?? 3000);

const emulator = await startEmulator({
  port: emulatorPort,
  // Loopback by default; EMULATOR_HOST=0.0.0.0 lets a phone on the LAN scan (see emulator/README.md).
  ...(process.env.EMULATOR_HOST ? { host: process.env.EMULATOR_HOST } : {}),
  callbackDomains: [`localhost:${appPort}`],
  oaPushUrl: `http://localhost:${appPort}/api/wechat/events`,
});
console.log(`WeChat emulator on ${emulator.url} (phone page: ${emulator.url}/phone; QR codes encode ${emulator.phoneUrl})`);

const next: ChildProcess = spawn("npx", ["next", "dev", "--port", String(appPort)], {
  stdio: "inherit",
  env: { ...process.env, WECHAT_EMULATOR_URL: process.env.WECHAT_EMULATOR_URL ?? emulator.url },
});
console.log(`App on http://localhost:${appPort}/login`);

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  next.kill("SIGTERM");
  await emulator.close();
  process.exit(code);
}
next.on("exit", (code) => void stop(code ?? 0));
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
