// Drives Debian's headless Chromium through the dashboard as a credit
// manager, a salesperson and a collector would, and prints what the page
// showed as JSON for the Rust end-to-end test to check against the API.
//
// Usage: node dashboard.mjs <plan.json>
// The plan: { base_url, as_of, tokens: { manager, sales, collector },
//             region, foreign_customer_id, screenshots }

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WAIT = { timeout: 30_000 };

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const seen = { problems: [] };

/** A new tab: its own session storage, so its own sign-in. */
async function newTab(context, who) {
  const page = await context.newPage();
  page.on("pageerror", (error) => seen.problems.push(`${who}: ${error.message}`));
  page.on("console", (message) => {
    // A 404 the page expects (a customer outside the portfolio) is logged by
    // Chromium as a failed resource; the page's own errors are what count.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      seen.problems.push(`${who}: console: ${message.text()}`);
    }
  });
  return page;
}

async function screenshot(page, name) {
  await page.screenshot({ path: join(plan.screenshots, `${name}.png`), fullPage: true });
}

async function signIn(page, token) {
  await page.goto(`${plan.base_url}/dashboard/?as_of=${plan.as_of}`);
  await page.waitForSelector("form[data-view=sign-in]", WAIT);
  await page.fill("#token", token);
  await page.click("form[data-view=sign-in] button[type=submit]");
  await page.waitForSelector("main[data-view=overview]", WAIT);
}

/** Waits until no panel of the view is still loading, and says how each ended. */
async function settledPanels(page) {
  await page.waitForFunction(() => document.querySelectorAll("[data-panel][data-state=loading]").length === 0, null, WAIT);
  return page.$$eval("[data-panel]", (panels) => Object.fromEntries(panels.map((panel) => [panel.dataset.panel, panel.dataset.state])));
}

async function tiles(page) {
  return page.$$eval(".tile", (found) =>
    Object.fromEntries(
      found.map((tile) => {
        const value = tile.querySelector("[data-value]");
        return [tile.dataset.kpi, { value: value.dataset.value, text: value.textContent }];
      }),
    ),
  );
}

async function rows(page, panel) {
  return page.$$eval(`[data-panel=${panel}] tbody tr[data-key]`, (found) =>
    found.map((row) => ({
      key: row.dataset.key,
      cells: Object.fromEntries(
        [...row.querySelectorAll("td[data-column]")].map((cell) => [
          cell.dataset.column,
          cell.querySelector("[data-value]")?.dataset.value ?? cell.textContent,
        ]),
      ),
    })),
  );
}

async function manager(context) {
  const page = await newTab(context, "manager");
  const result = {};

  await page.goto(`${plan.base_url}/dashboard/?as_of=${plan.as_of}`);
  await page.waitForSelector("form[data-view=sign-in]", WAIT);
  await screenshot(page, "01-sign-in");

  await page.fill("#token", "not-a-token");
  await page.click("form[data-view=sign-in] button[type=submit]");
  await page.waitForSelector("form[data-view=sign-in] .problem:not([hidden])", WAIT);
  result.refused_message = await page.textContent("form[data-view=sign-in] .problem");

  await page.fill("#token", plan.tokens.manager);
  await page.click("form[data-view=sign-in] button[type=submit]");
  await page.waitForSelector("main[data-view=overview]", WAIT);
  result.panels = await settledPanels(page);
  result.tiles = await tiles(page);
  result.aged_rows = await rows(page, "aged-balance");
  result.url_after_sign_in = page.url();
  result.token_in_session_storage = await page.evaluate(() => sessionStorage.getItem("relance.token"));
  result.who = await page.textContent(".who");
  await screenshot(page, "02-overview");

  // A filter: the region select, kept in the address.
  await page.waitForSelector(".filters[data-state=ready]", WAIT);
  result.region_options = await page.$$eval("#filter-region option", (options) => options.map((o) => o.value).filter(Boolean));
  await page.selectOption("#filter-region", plan.region);
  await page.waitForURL((url) => url.searchParams.get("region") === plan.region, WAIT);
  result.filtered_panels = await settledPanels(page);
  result.filtered_url = page.url();
  result.filtered_tiles = await tiles(page);
  await screenshot(page, "03-filtered-by-region");

  // The aged balance grouped another way.
  await page.selectOption("[data-panel=aged-balance] select[name=group_by]", "owner");
  await page.waitForURL((url) => url.searchParams.get("group_by") === "owner", WAIT);
  await settledPanels(page);
  result.aged_by_owner = await rows(page, "aged-balance");

  // A shared link opens the same view: a fresh tab with the same address,
  // once signed in, shows the same filters.
  result.shared_region_selected = await page.$eval("#filter-region", (select) => select.value);

  // Open a customer from the list.
  await page.click("nav a[href^='/dashboard/customers']");
  await page.waitForSelector("main[data-view=customers]", WAIT);
  await settledPanels(page);
  const link = await page.$("[data-panel=customers] a[data-customer-id]");
  result.opened_customer_id = await link.getAttribute("data-customer-id");
  await link.click();
  await page.waitForSelector("main[data-view=customer]", WAIT);
  result.customer_panels = await settledPanels(page);
  result.customer_url = page.url();
  result.customer_title = await page.textContent("h1.page-title");
  result.customer_invoices = await rows(page, "invoices");
  result.customer_payments = await rows(page, "payments");
  await screenshot(page, "04-customer");

  // Reloading keeps the sign-in (session storage) and the view.
  await page.reload();
  await page.waitForSelector("main[data-view=customer]", WAIT);
  await settledPanels(page);
  result.after_reload_title = await page.textContent("h1.page-title");

  // French: amounts and dates follow the French locale.
  await page.goto(`${plan.base_url}/dashboard/?as_of=${plan.as_of}`);
  await page.waitForSelector("main[data-view=overview]", WAIT);
  await page.click("button[data-language=fr]");
  await page.waitForSelector("html[lang=fr] main[data-view=overview]", WAIT);
  await settledPanels(page);
  result.french_tiles = await tiles(page);
  result.french_heading = await page.textContent("[data-panel=aged-balance] h2");
  await screenshot(page, "05-overview-in-french");
  await page.click("button[data-language=en]");

  // Signing out forgets the token.
  await page.click(".session button.secondary");
  await page.waitForSelector("form[data-view=sign-in]", WAIT);
  result.token_after_sign_out = await page.evaluate(() => sessionStorage.getItem("relance.token"));
  await page.close();
  return result;
}

async function salesperson(context) {
  const page = await newTab(context, "sales");
  const result = {};

  await signIn(page, plan.tokens.sales);
  result.panels = await settledPanels(page);
  result.tiles = await tiles(page);
  result.who = await page.textContent(".who");
  result.owner_filter = await page.$eval("#filter-owner", (select) => ({ value: select.value, disabled: select.disabled }));
  await page.waitForSelector(".filters[data-state=ready]", WAIT);
  result.region_options = await page.$$eval("#filter-region option", (options) => options.map((o) => o.value).filter(Boolean));
  await screenshot(page, "06-sales-overview");

  await page.click("nav a[href^='/dashboard/customers']");
  await page.waitForSelector("main[data-view=customers]", WAIT);
  await settledPanels(page);
  for (;;) {
    const more = await page.$("[data-panel=customers] button:not([hidden])");
    if (!more) break;
    const before = await page.$$eval("[data-panel=customers] tbody tr", (found) => found.length);
    await more.click();
    await page.waitForFunction((count) => document.querySelectorAll("[data-panel=customers] tbody tr").length > count, before, WAIT);
  }
  result.customers = await page.$$eval("[data-panel=customers] tbody tr", (found) =>
    found.map((row) => ({ id: row.dataset.key, owner: row.dataset.owner })),
  );
  await screenshot(page, "07-sales-customers");

  await page.goto(`${plan.base_url}/dashboard/customers/${plan.foreign_customer_id}?as_of=${plan.as_of}`);
  await page.waitForSelector("main[data-view=customer]", WAIT);
  result.foreign_panels = await settledPanels(page);
  result.foreign_title_state = await page.$eval("h1.page-title", (title) => title.dataset.state ?? "");
  result.foreign_invoices = await rows(page, "invoices");
  await screenshot(page, "08-sales-other-portfolio");
  await page.close();
  return result;
}

async function collector(context) {
  const page = await newTab(context, "collector");
  const result = {};
  await signIn(page, plan.tokens.collector);
  result.panels = await settledPanels(page);
  result.who = await page.textContent(".who");
  result.tasks = await rows(page, "tasks");
  await screenshot(page, "09-collector-overview");
  await page.close();
  return result;
}

const profile = mkdtempSync(join(tmpdir(), "relance-chromium-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    locale: "en-GB",
    timezoneId: "Europe/Paris",
    viewport: { width: 1280, height: 900 },
  });
  seen.manager = await manager(context);
  seen.sales = await salesperson(context);
  seen.collector = await collector(context);
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(seen));
