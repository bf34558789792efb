// console_test.mjs URL TOKEN OUT -- drives ward's console in Debian's
// headless chromium (puppeteer-core): signs in with TOKEN, finds the
// incidents, opens WARD-2026-000003, judges its reply substantive, and
// checks that the accountability view then shows CERT-FR with one
// substantive answer, in its table and its SVG chart. Fails on any
// console error (a Content-Security-Policy violation is one) and on any
// dialog opened by data (a summary holds a <script>). Screenshots go to
// OUT. Every wait is for a condition, with a deadline.
import puppeteer from "puppeteer-core";

const [url, token, out] = process.argv.slice(2);
const WAIT = { timeout: 20000 };
const problems = [];

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("dialog", async (d) => { problems.push("dialog: " + d.message()); await d.dismiss(); });

  await page.goto(url + "/", { waitUntil: "domcontentloaded" });
  await page.waitForSelector("#token", { visible: true, ...WAIT });
  // keyboard only: the token field is focused, Enter submits
  await page.focus("#token");
  await page.keyboard.type(token);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#incidents-body tr a", WAIT);
  const ids = await page.$$eval("#incidents-body tr td:first-child", (t) => t.map((x) => x.textContent));
  if (ids.length !== 3) problems.push("incidents listed: " + ids.join(","));
  const summary = await page.$eval("#incidents-body tr td:last-child", (t) => t.textContent);
  if (!summary.includes("<script>")) problems.push("summary not shown as text: " + summary);
  const stored = await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie]);
  if (stored[0] !== 1 || stored[1] !== 0 || stored[2] !== "") problems.push("token storage: " + stored);
  await page.screenshot({ path: out + "/1-incidents.png", fullPage: true });

  // filter by country
  await page.type("#f-country", "fr");
  await page.click("#filters button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#incidents-body tr").length === 1, WAIT);

  await page.click("#incidents-body a");
  await page.waitForFunction(() => document.getElementById("inc-title").textContent.startsWith("WARD-2026-000003"), WAIT);
  await page.waitForSelector("#inc-timeline li", WAIT);
  const attacker = await page.$eval("#inc-attackers tr td", (t) => t.textContent);
  if (attacker !== "89.160.20.103") problems.push("attacker: " + attacker);
  const reliable = await page.$eval("#inc-attackers tr td:nth-child(6)", (t) => t.textContent);
  if (reliable !== "yes") problems.push("attribution reliable: " + reliable);
  await page.screenshot({ path: out + "/2-incident.png", fullPage: true });
  await page.click("#inc-notifications button[data-verdict=substantive]");
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("Judged WARD-2026-000003 substantive"), WAIT);
  await page.waitForFunction(() => [...document.querySelectorAll("#inc-replies td")].some((t) => t.textContent === "substantive"), WAIT);
  await page.screenshot({ path: out + "/3-judged.png", fullPage: true });

  await page.click("#nav-accountability");
  await page.waitForSelector('#acc-chart rect[data-group="CERT-FR"][data-kind="substantive"]', WAIT);
  const v = await page.$eval('#acc-chart rect[data-group="CERT-FR"][data-kind="substantive"]', (r) => r.getAttribute("data-value"));
  if (v !== "1") problems.push("chart CERT-FR substantive: " + v);
  const rowText = await page.$$eval("#acc-body tr", (rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
  const fr = rowText.find((r) => r[0] === "CERT-FR");
  if (!fr || fr[3] !== "1" || fr[2] !== "1") problems.push("table CERT-FR: " + JSON.stringify(fr));
  await page.screenshot({ path: out + "/4-accountability.png", fullPage: true });
  await page.select("#acc-by", "country");
  await page.waitForSelector('#acc-chart rect[data-group="FR"][data-kind="substantive"][data-value="1"]', WAIT);
  await page.screenshot({ path: out + "/5-by-country.png", fullPage: true });

  await page.click("#signout");
  await page.waitForSelector("#token", { visible: true, ...WAIT });
  if (await page.evaluate(() => sessionStorage.length) !== 0) problems.push("token kept after sign out");
} finally {
  await browser.close();
}
if (problems.length) {
  console.error("FAILED:\n  " + problems.join("\n  "));
  process.exit(1);
}
console.log("console: all checks passed");
