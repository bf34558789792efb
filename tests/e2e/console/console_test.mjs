// console_test.mjs URL TOKEN OUT ADMIN_TOKEN NOTE -- drives ward's console
// in Debian's headless chromium (puppeteer-core): signs in with TOKEN (an
// analyst: no Parties link), finds the incidents, opens WARD-2026-000003,
// judges its reply substantive with NOTE and sees the note in the
// replies and the timeline, and checks that the accountability view then
// shows CERT-FR with one substantive answer, in its table and its SVG
// chart. Then signs in with ADMIN_TOKEN, opens the parties, is told what
// is wrong with a bad address, and changes CERT-Bund's address. Fails on any
// console error (a Content-Security-Policy violation is one) and on any
// dialog opened by data (a summary holds a <script>). Screenshots go to
// OUT. Every wait is for a condition, with a deadline.
import puppeteer from "puppeteer-core";

const [url, token, out, adminToken, note] = process.argv.slice(2);
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
  // the one refusal the test provokes (a bad address) is logged by the
  // browser as a failed request: it alone is expected
  let expected400 = 0;
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    if (expected400 > 0 && m.text().includes("status of 400")) expected400--;
    else problems.push("console: " + m.text());
  });
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
  if (await page.$eval("#nav-parties", (a) => a.offsetParent !== null)) problems.push("Parties shown to an analyst");
  await page.type("#judge-note", note);
  await page.click("#inc-notifications button[data-verdict=substantive]");
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("Judged WARD-2026-000003 substantive"), WAIT);
  await page.waitForFunction(() => [...document.querySelectorAll("#inc-replies td")].some((t) => t.textContent === "substantive"), WAIT);
  // the note, as text, in the replies and the timeline
  await page.waitForFunction((n) => [...document.querySelectorAll("#inc-replies td")].some((t) => t.textContent === n), WAIT, note);
  const judged = await page.$$eval("#inc-timeline li", (ls) => ls.map((l) => l.textContent));
  if (!judged.some((t) => t.endsWith("judged substantive by browser: " + note))) problems.push("timeline without the note: " + judged.join(" | "));
  if (await page.$eval("#judge-note", (i) => i.value) !== "") problems.push("note field not cleared");
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

  // an admin changes a party's address; a bad one is explained
  await page.focus("#token");
  await page.keyboard.type(adminToken);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#incidents-body tr a", WAIT);
  await page.click("#nav-parties");
  await page.waitForSelector('#parties-body button[data-party="CERT-Bund"]', { visible: true, ...WAIT });
  const src = await page.$eval("#parties-source", (p) => p.textContent);
  if (!src.includes("directory file")) problems.push("parties source: " + src);
  await page.click('#parties-body button[data-party="CERT-Bund"]');
  await page.waitForFunction(() => document.getElementById("p-email").value === "cert@bund.example", WAIT);
  const setEmail = async (v) => {
    await page.$eval("#p-email", (i) => { i.value = ""; });
    await page.type("#p-email", v);
    await page.click("#party-save");
  };
  expected400 = 1;
  await setEmail("cert at bund");
  await page.waitForFunction(() => document.getElementById("status").className === "error"
    && document.getElementById("status").textContent.startsWith("email:"), WAIT);
  await page.screenshot({ path: out + "/6-party-refused.png", fullPage: true });
  await setEmail("incident@bund.example");
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("Saved CERT-Bund <incident@bund.example>"), WAIT);
  await page.waitForFunction(() => [...document.querySelectorAll("#parties-body tr")].some((r) => r.children[0].textContent === "CERT-Bund" && r.children[2].textContent === "incident@bund.example"), WAIT);
  const after = await page.$eval("#parties-source", (p) => p.textContent);
  if (!after.includes("database")) problems.push("parties source after the change: " + after);
  await page.screenshot({ path: out + "/7-parties.png", fullPage: true });

  // the fleet's sensors: one live with its rates, one silent
  await page.click("#nav-sensors");
  await page.waitForFunction(() => document.querySelectorAll("#sensors-body tr").length === 2, WAIT);
  const sensors = await page.$$eval("#sensors-body tr", (rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
  const live = sensors.find((r) => r[0] === "icu-north"), silent = sensors.find((r) => r[0] === "lab-west");
  if (!live || live[1] !== "live" || live[2] !== "0.6" || live[3] !== "0.4" || live[4] !== "4")
    problems.push("live sensor row: " + JSON.stringify(live));
  if (!silent || silent[1] !== "silent" || silent[2] !== "0.0")
    problems.push("silent sensor row: " + JSON.stringify(silent));
  await page.screenshot({ path: out + "/8-sensors.png", fullPage: true });
} finally {
  await browser.close();
}
if (problems.length) {
  console.error("FAILED:\n  " + problems.join("\n  "));
  process.exit(1);
}
console.log("console: all checks passed");
