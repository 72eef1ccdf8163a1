// Makes sure Playwright has a Chromium before the e2e run: PLAYWRIGHT_CHROMIUM_EXECUTABLE,
// the system's /usr/bin/chromium, or Playwright's own build. Machines without network access
// to Playwright's CDN get Debian's chromium package instead (as root).
import { execSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium } from "@playwright/test";

function playwrightChromium() {
  try {
    const path = chromium.executablePath();
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const configured = process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE;
if ((configured && existsSync(configured)) || existsSync("/usr/bin/chromium") || playwrightChromium()) process.exit(0);

console.log("No Chromium found for Playwright; installing one…");
const viaPlaywright = spawnSync("npx", ["playwright", "install", "chromium"], { stdio: "inherit" });
if (viaPlaywright.status === 0 && playwrightChromium()) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (existsSync("/usr/bin/apt-get")) {
  const sudo = isRoot ? "" : "sudo ";
  execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium`, { stdio: "inherit" });
  if (existsSync("/usr/bin/chromium")) process.exit(0);
}
console.error("Could not install Chromium. Install it, or set PLAYWRIGHT_CHROMIUM_EXECUTABLE to a Chromium binary.");
process.exit(1);
