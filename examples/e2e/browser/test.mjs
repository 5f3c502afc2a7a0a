// Drives the streamkit demo page in headless Chromium:
//
//   node test.mjs <baseURL> <screenshot.png>
//
// It checks that the ticker advances and resumes after a dropped
// connection without losing or repeating a tick, that a chat message sent
// from one page appears in a second one, that the NDJSON panel reads every
// record, that an upload's progress bar reaches 100 % with the right
// SHA-256, that the AI chat streams an answer and resumes one after a
// reload, and that no script error or console error happened. It saves a
// screenshot of the page in that state and exits non-zero on any failure.
// The Go test examples/e2e TestBrowser runs it.
import { chromium } from "playwright-core";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [baseURL, shotPath] = process.argv.slice(2);
if (!baseURL || !shotPath) {
  console.error("usage: node test.mjs <baseURL> <screenshot.png>");
  process.exit(2);
}

const failures = [];
const problems = []; // script and console errors, from every page
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failures.push(what);
}

function watch(page, name) {
  page.on("pageerror", (err) => problems.push(`${name}: page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`${name}: console error: ${msg.text()}`);
  });
}

const text = (page, sel) => page.locator(sel).textContent();
const timeout = 10_000;

const userDataDir = await mkdtemp(join(tmpdir(), "streamkit-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
  viewport: { width: 1280, height: 1000 },
  colorScheme: "light",
});

try {
  const one = await context.newPage();
  watch(one, "page one");
  await one.goto(baseURL, { waitUntil: "load" });

  // Ticker: it advances.
  await one.waitForFunction(() => Number(document.getElementById("tick-n").textContent) >= 1, null, { timeout });
  const firstTick = Number(await text(one, "#tick-n"));
  await one.waitForFunction((n) => Number(document.getElementById("tick-n").textContent) > n, firstTick, { timeout });
  const laterTick = Number(await text(one, "#tick-n"));
  check(laterTick > firstTick, `ticker advances (${firstTick} → ${laterTick})`);
  check((await text(one, "#tick-id")) === String(laterTick), "ticker shows the event ID");

  // Ticker: a dropped connection resumes after the last ID seen. The ID is
  // read and the connection dropped in one turn of the page's event loop,
  // so no tick can arrive in between.
  const droppedAt = await one.evaluate(() => {
    const id = document.getElementById("tick-id").textContent;
    document.getElementById("tick-drop").click();
    return Number(id);
  });
  await one.waitForSelector("#tick-strip span.resumed", { timeout });
  const resumedWith = Number(await text(one, "#tick-strip span.resumed"));
  check(resumedWith === droppedAt + 1, `ticker resumes after tick ${droppedAt} with tick ${resumedWith}`);
  check((await text(one, "#tick-reconnects")) === "1", "ticker counts the reconnect");

  // Chat: a message sent from page one appears on page two.
  const two = await context.newPage();
  watch(two, "page two");
  await two.goto(baseURL, { waitUntil: "load" });
  for (const page of [one, two]) {
    await page.waitForFunction(() => document.getElementById("chat-state").textContent === "connected", null, { timeout });
  }
  const message = "hello from page one " + randomBytes(3).toString("hex");
  await one.fill("#chat-name", "alice");
  await one.fill("#chat-text", message);
  await one.click("#chat-form button");
  for (const [name, page] of [["page two", two], ["page one", one]]) {
    const seen = await page
      .waitForFunction((m) => document.getElementById("chat-log").textContent.includes(m), message, { timeout })
      .then(() => true, () => false);
    check(seen, `chat message appears on ${name}`);
  }
  const reply = "and hello back " + randomBytes(3).toString("hex");
  await two.fill("#chat-text", reply);
  await two.press("#chat-text", "Enter");
  const replied = await one
    .waitForFunction((m) => document.getElementById("chat-log").textContent.includes(m), reply, { timeout })
    .then(() => true, () => false);
  check(replied, "chat reply from page two appears on page one");
  await two.close();

  // NDJSON: every record is read.
  await one.fill("#nd-count", "40");
  await one.fill("#nd-interval", "25ms");
  await one.click("#nd-start");
  await one.waitForFunction(() => document.getElementById("nd-state").textContent !== "reading", null, { timeout });
  check((await text(one, "#nd-state")) === "done", "NDJSON stream completes");
  check((await text(one, "#nd-records")) === "40", "NDJSON panel reads 40 records");
  check((await text(one, "#nd-log")).includes('{"n":40}'), "NDJSON log shows the last record");

  // Upload: the bar, fed by the progress topic, reaches 100 %.
  const data = randomBytes(768 * 1024);
  const sha = createHash("sha256").update(data).digest("hex");
  await one.setInputFiles("#up-file", { name: "sample.bin", mimeType: "application/octet-stream", buffer: data });
  await one.click("#up-start");
  await one.waitForFunction(() => document.getElementById("up-state").textContent !== "uploading", null, { timeout: 30_000 });
  check((await text(one, "#up-state")) === "done", "upload completes");
  check((await text(one, "#up-pct")) === "100 %", "upload bar reaches 100 %");
  check((await text(one, "#up-sum")) === "sha256 " + sha, "upload shows the SHA-256 the server computed");
  const progressEvents = Number(await one.locator("#up-bar").getAttribute("data-progress-events"));
  check(progressEvents >= 1, `upload bar got ${progressEvents} progress events from the topic`);

  // AI chat: an answer streams in, and one that is running when the page
  // reloads resumes from the server's generation.
  await one.fill("#ai-text", "hello from the page");
  await one.press("#ai-text", "Enter");
  await one.waitForFunction(() => ["done", "error", "cut"].includes(document.getElementById("ai-state").textContent), null, { timeout });
  check((await text(one, "#ai-state")) === "done", "AI chat answer completes");
  const answer = await text(one, "#ai-answer");
  check(answer.startsWith("Hello from the streamkit simulated model.") && answer.includes("hello from the page"),
    `AI chat shows the simulated model's answer (${JSON.stringify(answer.slice(0, 60))}…)`);
  await one.fill("#ai-text", "reload me");
  await one.press("#ai-text", "Enter");
  await one.waitForFunction(() => (document.getElementById("ai-answer")?.textContent ?? "").length > 0 &&
    document.getElementById("ai-state").textContent === "streaming", null, { timeout });
  await one.reload({ waitUntil: "load" });
  await one.waitForFunction(() => document.getElementById("ai-state").textContent === "done", null, { timeout });
  const resumed = await text(one, "#ai-answer");
  check(resumed.includes("reload me") && resumed.endsWith("as its own event. "), "AI chat resumes the answer after a reload");

  // Stats: polled and shown. The page reloaded just now, so the first
  // figures may predate its streams: wait until a poll sees them, and fail
  // only if none does in time.
  const seesStreams = (id) => one.waitForFunction((id) => Number(document.getElementById(id).textContent.replace(/,/g, "")) >= 2,
    id, { timeout }).then(() => true, () => false);
  check(await seesStreams("stat-active_streams"), "stats show the page's open streams");
  // The chart reads the same numbers from /metrics.
  check(await seesStreams("chart-active"), "the chart shows the page's open streams from /metrics");
  check(/^[\d,]+$/.test(await text(one, "#chart-rate")), "the chart shows events per second");

  await one.waitForTimeout(300); // let the last transitions settle for the picture
  await one.screenshot({ path: shotPath, fullPage: true });
  console.log("screenshot " + shotPath);
} catch (err) {
  failures.push("exception: " + (err && err.stack ? err.stack : err));
  console.log("FAIL " + err);
} finally {
  await context.close();
  await rm(userDataDir, { recursive: true, force: true });
}

for (const p of problems) {
  console.log("FAIL " + p);
  failures.push(p);
}
check(problems.length === 0, "no script or console errors");
if (failures.length > 0) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log("all browser checks passed");
