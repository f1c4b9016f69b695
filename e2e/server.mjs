// Starts the real `pressroom demo` on a fresh data folder on loopback, and Chromium.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const screenshots = join(root, "target", "screenshots");

/** Starts `pressroom demo` and resolves with its base URL and a stop function. */
export async function startDemo() {
  const bin = process.env.PRESSROOM_BIN || join(root, "target", "debug", "pressroom");
  if (!existsSync(bin)) throw new Error(`no pressroom binary at ${bin}; run cargo build first`);
  const data = mkdtempSync(join(tmpdir(), "pressroom-e2e-"));
  const child = spawn(bin, ["demo", "--data", data, "--listen", "127.0.0.1:0"], {
    env: { ...process.env, PRESSROOM_LOG: "warn", PRESSROOM_LISTEN: "", PRESSROOM_DATA_DIR: "" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const base = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${out}`)), 60_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/running at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`the demo exited with ${code}:\n${out}`)));
  });
  child.stdout.resume();
  return {
    base,
    data,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

/** Debian's Chromium, started as the machine's probe showed it works here. */
export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export const viewports = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
};

/** Runs axe-core's WCAG 2.1 A and AA rules on the page; returns the violations. */
export async function axe(page) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/** Saves a screenshot under target/screenshots. */
export async function shoot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** Runs the Nu HTML Checker on saved pages; returns its error report ("" when valid). */
export function validate(files) {
  const jar = join(root, "node_modules", "vnu-jar", "build", "dist", "vnu.jar");
  try {
    execFileSync("java", ["-jar", jar, "--errors-only", "--format", "text", ...files], { stdio: "pipe" });
    return "";
  } catch (e) {
    return `${e.stdout ?? ""}${e.stderr ?? ""}` || String(e);
  }
}

export function saveHtml(dir, name, html) {
  const path = join(dir, `${name}.html`);
  writeFileSync(path, html);
  return path;
}

/** The local time in the site's zone `seconds` from now, as a datetime-local value. */
export function siteTime(seconds, timeZone = "Asia/Baku") {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(Date.now() + seconds * 1000)).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}
