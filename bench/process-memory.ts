/**
 * The resident memory and CPU time of the app's server process, read from /proc (Linux only).
 * `npx next start` is not the server: npx runs node, which may fork again, so the server is found
 * as the descendant of the spawned pid that owns the socket listening on the app's port.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const task of tasks) {
    try {
      const listed = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (listed) children.push(...listed.split(/\s+/).map(Number));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return children;
}

function descendantsOf(rootPid: number): number[] {
  const found = [rootPid];
  for (let index = 0; index < found.length; index++) found.push(...childrenOf(found[index]!));
  return found;
}

/** Socket inodes listening on `port` (TCP, IPv4 or IPv6), from /proc/net/tcp{,6}. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is "ADDR:PORT" in hex; st 0A is LISTEN; the inode is the 10th field.
      if (fields[1]?.endsWith(`:${portHex}`) && fields[3] === "0A" && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

function ownsSocket(pid: number, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith("socket:[") && inodes.has(target.slice(8, -1))) return true;
    } catch {
      // Closed meanwhile.
    }
  }
  return false;
}

/** The pid, among `rootPid` and its descendants, that listens on `port`; throws when there is none. */
export function findServerPid(rootPid: number, port: number): number {
  const inodes = listeningInodes(port);
  const server = descendantsOf(rootPid).find((pid) => ownsSocket(pid, inodes));
  if (server === undefined) throw new Error(`no process under pid ${rootPid} listens on port ${port}`);
  return server;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on every Linux Node supports). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, in ms) used so far by `rootPid` and every process below it. Differences
 * of two readings give the CPU a stretch of work cost the server, whatever else ran on the machine
 * meanwhile: a steadier measure of cost than throughput on a shared machine. Resolution 10 ms.
 */
export function cpuTimeMs(rootPid: number): number {
  let ticks = 0;
  for (const pid of descendantsOf(rootPid)) {
    try {
      // The command name (field 2) may hold spaces and parentheses; the fields after its last ")" are fixed.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime are fields 14 and 15 of stat, so 12 and 13 after the command name.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** VmRSS of `pid` in bytes. */
export function readRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export type RssReading = { median: number; samples: number[]; settled: boolean; waitedMs: number };

/** The median of `count` samples `intervalMs` apart, with no waiting for the value to settle. */
export async function sampleRss(pid: number, count = 10, intervalMs = 200): Promise<RssReading> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    if (index > 0) await sleep(intervalMs);
    samples.push(readRssBytes(pid));
  }
  return { median: median(samples), samples, settled: false, waitedMs: (count - 1) * intervalMs };
}

/**
 * RSS once it has settled: samples every `intervalMs` until a whole `windowMs` of them lies within
 * max(2 MiB, 1%) of each other, then the median of that window. There is no forced GC (the server
 * runs without --expose-gc, as in production): V8 gives memory back on its own schedule (its
 * memory reducer runs seconds after allocation calms down), so a reading taken right after a busy
 * spell can be hundreds of MiB above where the process comes to rest. After `maxWaitMs` the last
 * window is taken as it is, and marked unsettled.
 */
export async function readSettledRss(pid: number, options: { windowMs?: number; intervalMs?: number; maxWaitMs?: number } = {}): Promise<RssReading> {
  const intervalMs = options.intervalMs ?? 500;
  const windowSize = Math.max(2, Math.round((options.windowMs ?? 10_000) / intervalMs));
  const maxWaitMs = options.maxWaitMs ?? 90_000;
  const begun = Date.now();
  const samples: number[] = [];
  for (;;) {
    samples.push(readRssBytes(pid));
    const window = samples.slice(-windowSize);
    const waitedMs = Date.now() - begun;
    if (window.length === windowSize) {
      const spread = Math.max(...window) - Math.min(...window);
      const settled = spread <= Math.max(2 * 2 ** 20, 0.01 * median(window));
      if (settled || waitedMs >= maxWaitMs) return { median: median(window), samples: window, settled, waitedMs };
    }
    await sleep(intervalMs);
  }
}
