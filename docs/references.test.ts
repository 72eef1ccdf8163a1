/**
 * The repository is self-contained: no file may point at something outside it.
 *
 * - No path into a sibling `shared/` directory and no mention of the old protocol notes' file
 *   name: the project's WeChat reference is docs/wechat-protocol.md.
 * - No absolute path under the directory that holds the checkout.
 * - Relative Markdown links and `@see <path>` comments resolve inside the repository, to a file
 *   that exists. `@see` paths are written from the repository root (`@see docs/wechat-protocol.md
 *   §B3`); only paths starting with `./` or `../` are taken relative to the citing file.
 * - Every section a file cites after docs/wechat-protocol.md (`§B3`, `§A1–A4`, `§B2, §B4`) is a
 *   heading of that document.
 *
 * Files are those git knows (tracked, plus untracked ones not ignored); without git, a walk that
 * skips dependencies, build output and generated code.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PROTOCOL_DOC = "docs/wechat-protocol.md";

// Built from parts so that this file does not trip its own checks.
const OLD_NOTES_NAME = new RegExp(["WECHAT", "PROTOCOL\\.md"].join("-"));
const SHARED_DIR = new RegExp(String.raw`(?:\.\.[/\\])+` + "shared" + String.raw`\b`);

const BINARY_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".pdf", ".zip", ".gz", ".wasm"]);
const WALK_SKIP = new Set(["node_modules", ".git", ".data", "test-results", "playwright-report"]);

function listFiles(): string[] {
  try {
    const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    return [...new Set(out.split("\0").filter(Boolean))];
  } catch {
    return walk("");
  }
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (WALK_SKIP.has(entry.name) || entry.name.startsWith(".next") || rel === "lib/db/generated") continue;
      files.push(...walk(rel));
    } else if (entry.isFile()) {
      files.push(rel);
    }
  }
  return files;
}

type TextFile = { rel: string; text: string };

function readTextFiles(): TextFile[] {
  const files: TextFile[] = [];
  for (const rel of listFiles()) {
    if (BINARY_EXTENSIONS.has(path.extname(rel).toLowerCase())) continue;
    const abs = path.join(ROOT, rel);
    if (!existsSync(abs) || !statSync(abs).isFile()) continue; // deleted in the work tree
    const buffer = readFileSync(abs);
    if (buffer.subarray(0, 8000).includes(0)) continue; // binary
    files.push({ rel, text: buffer.toString("utf8") });
  }
  return files;
}

const FILES = readTextFiles();

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function isInside(abs: string): boolean {
  const rel = path.relative(ROOT, abs);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Where a Markdown link target points, or undefined for URLs, mail links and in-page anchors. */
function resolveLinkTarget(fromRel: string, rawTarget: string): string | undefined {
  let target = rawTarget.trim().replace(/^<|>$/g, "");
  if (target === "" || target.startsWith("#") || target.startsWith("//") || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(target)) return undefined;
  target = target.replace(/[?#].*$/, "");
  try {
    target = decodeURI(target);
  } catch {
    // keep it as written
  }
  // GitHub reads `/x` as the repository root; everything else is relative to the file.
  return target.startsWith("/") ? path.join(ROOT, target) : path.resolve(ROOT, path.dirname(fromRel), target);
}

const FILE_EXTENSION = /\.(?:md|ts|tsx|js|mjs|cjs|json|prisma|sql|sh|ya?ml|toml|css|html|txt)$/i;

/** Where an `@see` path points (repository-root form, or `./`/`../` from the file), else undefined. */
function resolveSeeTarget(fromRel: string, token: string): string | undefined {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(token) || token.startsWith("{")) return undefined;
  const cleaned = token.replace(/[)\],.;:`'"]+$/, "");
  if (!cleaned.includes("/") && !FILE_EXTENSION.test(cleaned)) return undefined; // `@see Class.method`
  if (cleaned.startsWith("./") || cleaned.startsWith("../")) return path.resolve(ROOT, path.dirname(fromRel), cleaned);
  return path.join(ROOT, cleaned.replace(/^\/+/, ""));
}

type Reference = { where: string; target: string; abs: string };

function collectReferences(): Reference[] {
  const references: Reference[] = [];
  for (const { rel, text } of FILES) {
    if (rel.endsWith(".md")) {
      // Inline links and images `[text](target "title")`, and reference definitions `[id]: target`.
      for (const match of text.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)|^\s{0,3}\[[^\]]+\]:\s*(\S+)/gm)) {
        const target = match[1] ?? match[2] ?? "";
        const abs = resolveLinkTarget(rel, target);
        if (abs) references.push({ where: `${rel}:${lineOf(text, match.index)}`, target, abs });
      }
    }
    for (const match of text.matchAll(/@see\s+(\S+)/g)) {
      const target = match[1] ?? "";
      const abs = resolveSeeTarget(rel, target);
      if (abs) references.push({ where: `${rel}:${lineOf(text, match.index)}`, target, abs });
    }
  }
  return references;
}

const REFERENCES = collectReferences();

/** Section ids of the protocol document: headings written `## §A1 Title`. */
function protocolSections(): Set<string> {
  const doc = FILES.find((file) => file.rel === PROTOCOL_DOC);
  if (!doc) return new Set();
  const ids = [...doc.text.matchAll(/^#{1,6}\s+§([0-9A-Z][0-9A-Za-z.]*?)\.?(?=\s|$)/gm)].map((match) => match[1] ?? "");
  return new Set(ids);
}

const SECTION_ID = String.raw`[0-9A-Z][0-9A-Za-z]*(?:\.[0-9]+)*`;
// `§B3`, `§A1–A4`, `§B2, §B4`, `§B2 §B3`, `§A1 and §A2`.
const CITATION = new RegExp(String.raw`wechat-protocol\.md(?:\]\([^)]*\))?\)?\s*((?:(?:,\s*|\s+and\s+|\s+)?§${SECTION_ID}(?:[–-]${SECTION_ID})?)+)`, "g");

function cited(): Array<{ where: string; id: string }> {
  const citations: Array<{ where: string; id: string }> = [];
  for (const { rel, text } of FILES) {
    for (const match of text.matchAll(CITATION)) {
      const where = `${rel}:${lineOf(text, match.index)}`;
      for (const part of (match[1] ?? "").matchAll(new RegExp(String.raw`§(${SECTION_ID})(?:[–-](${SECTION_ID}))?`, "g"))) {
        const first = part[1] ?? "";
        citations.push({ where, id: first });
        // A range `§A1–A4` (or `§A1–4`) needs both ends.
        const last = part[2];
        if (last) citations.push({ where, id: /^[0-9]/.test(last) ? first.replace(/[0-9.]+$/, "") + last : last });
      }
    }
  }
  return citations;
}

describe("references stay inside the repository", () => {
  it("finds the repository's files", () => {
    expect(FILES.length).toBeGreaterThan(50);
    expect(FILES.some((file) => file.rel === "package.json")).toBe(true);
  });

  it("has no path into a sibling shared/ directory and no mention of the old protocol notes", () => {
    const offenders = FILES.flatMap(({ rel, text }) =>
      text.split("\n").flatMap((line, index) => (SHARED_DIR.test(line) || OLD_NOTES_NAME.test(line) ? [`${rel}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it("has no absolute path into the directory holding the checkout", () => {
    const parent = path.dirname(ROOT);
    if (parent === path.parse(parent).root) return; // the checkout sits at the top: nothing to tell apart
    const prefix = `${parent}${path.sep}`;
    const offenders = FILES.filter(({ text }) => text.includes(prefix)).map(({ rel }) => rel);
    expect(offenders).toEqual([]);
  });

  it("resolves every relative Markdown link and @see path inside the repository", () => {
    const outside = REFERENCES.filter((ref) => !isInside(ref.abs)).map((ref) => `${ref.where}: ${ref.target}`);
    expect(outside).toEqual([]);
  });

  it("points every relative Markdown link and @see path at a file or directory that exists", () => {
    const missing = REFERENCES.filter((ref) => isInside(ref.abs) && !existsSync(ref.abs)).map((ref) => `${ref.where}: ${ref.target}`);
    expect(missing).toEqual([]);
  });
});

describe("the documentation's own paths", () => {
  // A backticked repository path in a Markdown file (`lib/login/landing.ts`) names a file that exists,
  // so a rename cannot leave the READMEs and docs describing code that is gone.
  const REPO_PATH = /`((?:app|lib|pages|e2e|emulator|bench|scripts|docs|prisma|miniprogram)\/[A-Za-z0-9_./[\]()-]+)`/g;
  // Paths that name someone else's files: @auth/core's callback module, a mini program's page route.
  const NOT_OURS = new Set(["lib/actions/callback/oauth/callback.js", "pages/login/login"]);
  it("names only files and folders that exist", () => {
    const missing = readTextFiles()
      .filter(({ rel }) => rel.endsWith(".md"))
      .flatMap(({ rel, text }) =>
        [...text.matchAll(REPO_PATH)]
          .map((match) => match[1]!)
          .filter((named) => !NOT_OURS.has(named) && !existsSync(path.join(ROOT, named.replace(/\/$/, ""))))
          .map((named) => `${rel}: ${named}`),
      );
    expect(missing).toEqual([]);
  });
});

describe(PROTOCOL_DOC, () => {
  const sections = protocolSections();

  it("exists and has citeable section headings (`## §A1 …`), each id once", () => {
    expect(sections.size).toBeGreaterThan(10);
    const doc = FILES.find((file) => file.rel === PROTOCOL_DOC)!;
    const ids = [...doc.text.matchAll(/^#{1,6}\s+§(\S+?)\.?(?=\s|$)/gm)].map((match) => match[1]);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
  });

  it("has every section the code cites", () => {
    const citations = cited();
    expect(citations.length).toBeGreaterThan(0);
    const unknown = citations.filter(({ id }) => !sections.has(id)).map(({ where, id }) => `${where}: §${id}`);
    expect(unknown).toEqual([]);
  });
});
