// The views of the page: the overview (tiles, aged balance, DSO trend, cash
// forecast, customers at risk, today's tasks), the customer list and one
// customer's page. Each panel loads its own API and shows nothing but a
// plain message when that API fails or is not served.

import { columnChart, legend, lineChart, stackedBars } from "./charts.js";
import { h, replace } from "./dom.js";

/** The aged balance buckets, oldest last, as the KPI API names them. */
const BUCKETS = ["not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90"];

/** What the aged balance can be grouped by. */
export const GROUPS = ["region", "entity", "segment", "owner", "collector", "customer"];

/** How many customers at risk the overview lists. */
const RISK_ROWS = 10;

/** How many customers the customer list loads at a time. */
const CUSTOMER_PAGE = 50;

// ---------------------------------------------------------------- panels

/**
 * A titled section whose body `load(body)` fills. The section's
 * `data-state` says how it went: `loading`, `ready`, `empty`,
 * `unavailable` (nothing serves that API here) or `error`.
 */
function panel(context, name, title, load, wide = false) {
  const body = h("div", { class: "panel-body" }, h("p", { class: "muted" }, context.locale.t("panel.loading")));
  const section = h(
    "section",
    { class: wide ? "panel wide" : "panel", "data-panel": name, "data-state": "loading", "aria-busy": "true" },
    h("h2", {}, title),
    body,
  );

  load(body)
    .then((state) => {
      section.dataset.state = state ?? "ready";
    })
    .catch((failure) => {
      const unavailable = failure.missing === true;
      section.dataset.state = unavailable ? "unavailable" : "error";
      const text = unavailable
        ? context.locale.t("panel.unavailable")
        : context.locale.t("panel.error", { message: failure.message });
      replace(body, h("p", { class: unavailable ? "muted" : "problem", role: unavailable ? null : "alert" }, text));
      if (!unavailable) console.error(name, failure);
    })
    .finally(() => section.removeAttribute("aria-busy"));
  return section;
}

/** Fills `body` with a "nothing to show" line and says the panel is empty. */
function empty(context, body, key = "panel.empty") {
  replace(body, h("p", { class: "muted" }, context.locale.t(key)));
  return "empty";
}

/**
 * A table: `columns` are `{ label, cell(row), numeric, key }`; each row gets
 * `data-key` from `rowKey(row)` so tests and people can find it.
 */
function table(columns, rows, rowKey, caption) {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      {},
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((column) => h("th", { scope: "col", class: column.numeric ? "numeric" : null }, column.label)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            { "data-key": rowKey ? rowKey(row) : null },
            columns.map((column) =>
              h("td", { class: column.numeric ? "numeric" : null, "data-column": column.key }, column.cell(row)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A value the page shows, with the API's raw figure kept beside it. */
function figure(text, raw) {
  return h("span", { "data-value": raw ?? "" }, text);
}

/** The filters the KPI and ledger APIs take, from the page's address. */
function apiFilters(filters) {
  return {
    entity: filters.entity,
    region: filters.region,
    segment: filters.segment,
    owner: filters.owner,
    as_of: filters.as_of,
  };
}

function customerLink(context, id, name) {
  return h("a", { href: context.href(`customers/${id}`), "data-link": true, "data-customer-id": id }, name);
}

// ---------------------------------------------------------------- overview

/** The overview: what a credit manager looks at every morning. */
export function overview(context) {
  const { locale } = context;
  const sections = [
    panel(context, "summary", locale.t("nav.overview"), (body) => summaryTiles(context, body), true),
    panel(context, "aged-balance", locale.t("aged.title"), (body) => agedBalance(context, body), true),
    panel(context, "dso", locale.t("dso.title"), (body) => dsoTrend(context, body)),
    panel(context, "forecast", locale.t("forecast.title"), (body) => cashForecast(context, body)),
    panel(context, "risk", locale.t("risk.title"), (body) => customersAtRisk(context, body), true),
  ];
  if (context.session.role !== "sales") {
    sections.push(panel(context, "tasks", locale.t("tasks.title"), (body) => tasksDue(context, body), true));
  }
  return h("div", { class: "grid" }, sections);
}

async function summaryTiles(context, body) {
  const { locale } = context;
  const summary = await context.api.get("/api/v1/kpi/summary", apiFilters(context.filters));
  const currency = summary.currency;
  const outstanding = summary.outstanding ?? {};

  const tile = (name, label, value, text, note) =>
    h(
      "div",
      { class: "tile", "data-kpi": name },
      h("div", { class: "tile-label" }, label),
      h("div", { class: "tile-value" }, figure(text, value)),
      note ? h("div", { class: "tile-note" }, note) : null,
    );

  replace(
    body,
    h(
      "div",
      { class: "tiles" },
      tile("outstanding", locale.t("tile.outstanding"), outstanding.total, locale.money(outstanding.total, currency)),
      tile(
        "overdue",
        locale.t("tile.overdue"),
        outstanding.overdue,
        locale.money(outstanding.overdue, currency),
        summary.overdue_share === undefined ? null : locale.t("tile.overdue_share", { share: locale.percent(summary.overdue_share) }),
      ),
      tile("dso", locale.t("tile.dso"), summary.dso?.countback, locale.days(summary.dso?.countback), locale.t("tile.dso_method")),
      tile(
        "average_delay",
        locale.t("tile.average_delay"),
        summary.average_payment_delay_days,
        locale.days(summary.average_payment_delay_days),
        locale.t("tile.average_delay_note"),
      ),
      tile(
        "at_risk",
        locale.t("tile.at_risk"),
        summary.at_risk_rate,
        locale.percent(summary.at_risk_rate),
        locale.t("tile.at_risk_note"),
      ),
    ),
  );
}

async function agedBalance(context, body) {
  const { locale, filters } = context;
  const groupBy = GROUPS.includes(filters.group_by) ? filters.group_by : GROUPS[0];
  const aged = await context.api.get("/api/v1/kpi/aged-balance", { ...apiFilters(filters), group_by: groupBy });
  const currency = aged.currency;
  const series = BUCKETS.map((bucket) => ({ key: bucket, label: locale.t(`bucket.${bucket}`) }));
  const groups = aged.groups ?? [];

  const chooser = h(
    "label",
    { class: "inline-field" },
    locale.t("aged.group_by"),
    h(
      "select",
      { name: "group_by", onchange: (event) => context.setFilter("group_by", event.target.value) },
      GROUPS.map((group) => h("option", { value: group, selected: group === groupBy }, locale.t(`group.${group}`))),
    ),
  );
  if (groups.length === 0) {
    replace(body, chooser, h("p", { class: "muted" }, locale.t("panel.empty")));
    return "empty";
  }

  const label = (group) => group.label ?? group.key ?? locale.t("group.none");
  const money = (value) => locale.money(value, currency);
  const rows = groups.map((group) => ({ label: label(group), values: BUCKETS.map((bucket) => group.buckets?.[bucket]) }));
  const columns = [
    { key: "group", label: locale.t(`group.${groupBy}`), cell: (group) => label(group) },
    ...BUCKETS.map((bucket) => ({
      key: bucket,
      label: locale.t(`bucket.${bucket}`),
      numeric: true,
      cell: (group) => figure(money(group.buckets?.[bucket]), group.buckets?.[bucket]),
    })),
    { key: "total", label: locale.t("aged.total"), numeric: true, cell: (group) => figure(money(group.total), group.total) },
  ];
  const totals = aged.totals ?? {};
  const totalRow = { key: "total", label: locale.t("aged.total"), buckets: totals.buckets ?? totals, total: totals.total };

  replace(
    body,
    chooser,
    stackedBars({
      title: locale.t("aged.chart", { group: locale.t(`group.${groupBy}`).toLowerCase() }),
      rows,
      series,
      format: money,
      formatTick: (tick) => locale.money(String(tick), currency).replace(/[.,]00(?=\D*$)/, ""),
    }),
    legend(series),
    table(columns, [...groups, totalRow], (group) => group.key ?? "", locale.t("aged.title")),
  );
}

async function dsoTrend(context, body) {
  const { locale } = context;
  const trend = await context.api.get("/api/v1/kpi/dso", { ...apiFilters(context.filters), months: 12 });
  const months = trend.months ?? [];
  if (months.length === 0) return empty(context, body);

  const points = months.map((month) => ({ label: locale.month(month.month), value: month.dso ?? null }));
  replace(
    body,
    lineChart({ title: locale.t("dso.chart"), points, format: (value) => locale.days(value) }),
    h(
      "details",
      {},
      h("summary", {}, locale.t("dso.month")),
      table(
        [
          { key: "month", label: locale.t("dso.month"), cell: (month) => locale.month(month.month) },
          { key: "dso", label: locale.t("dso.value"), numeric: true, cell: (month) => figure(locale.days(month.dso), month.dso) },
        ],
        months,
        (month) => month.month,
      ),
    ),
  );
}

async function cashForecast(context, body) {
  const { locale } = context;
  const forecast = await context.api.get("/api/v1/kpi/forecast", { ...apiFilters(context.filters), horizon_weeks: 13 });
  const weeks = forecast.weeks ?? [];
  if (weeks.length === 0) return empty(context, body);

  const currency = forecast.currency;
  const money = (value) => locale.money(value, currency);
  replace(
    body,
    columnChart({
      title: locale.t("forecast.chart"),
      points: weeks.map((week) => ({ label: locale.shortDate(week.week_start), value: week.expected })),
      format: money,
      formatTick: (tick) => locale.money(String(tick), currency).replace(/[.,]00(?=\D*$)/, ""),
    }),
    h(
      "details",
      {},
      h("summary", {}, locale.t("forecast.week")),
      table(
        [
          { key: "week", label: locale.t("forecast.week"), cell: (week) => locale.date(week.week_start) },
          { key: "expected", label: locale.t("forecast.expected"), numeric: true, cell: (week) => figure(money(week.expected), week.expected) },
        ],
        weeks,
        (week) => week.week_start,
      ),
    ),
  );
}

async function customersAtRisk(context, body) {
  const { locale } = context;
  const ranking = await context.api.get("/api/v1/kpi/customers", { ...apiFilters(context.filters), limit: RISK_ROWS });
  const customers = (ranking.items ?? ranking.customers ?? []).slice(0, RISK_ROWS);
  if (customers.length === 0) return empty(context, body);

  const currency = ranking.currency;
  const money = (value) => locale.money(value, currency);
  const reasons = h("span", {});
  const columns = [
    { key: "customer", label: locale.t("risk.customer"), cell: (row) => customerLink(context, row.customer_id, row.name) },
    { key: "overdue", label: locale.t("risk.overdue"), numeric: true, cell: (row) => figure(money(row.overdue), row.overdue) },
    { key: "outstanding", label: locale.t("risk.outstanding"), numeric: true, cell: (row) => figure(money(row.outstanding), row.outstanding) },
    { key: "dso", label: locale.t("risk.dso"), numeric: true, cell: (row) => figure(locale.days(row.dso), row.dso) },
    { key: "delay", label: locale.t("risk.delay"), numeric: true, cell: (row) => figure(locale.days(row.average_delay_days), row.average_delay_days) },
    { key: "risk", label: locale.t("risk.score"), numeric: true, cell: (row) => riskBadge(locale, row.risk) },
    { key: "reasons", label: locale.t("risk.reasons"), cell: (row) => reasonList(row.reasons) ?? reasons.cloneNode() },
  ];
  replace(body, table(columns, customers, (row) => row.customer_id, locale.t("risk.title")));
}

function riskBadge(locale, risk) {
  if (risk === undefined || risk === null) return figure("–", "");
  const level = risk >= 0.6 ? "high" : risk >= 0.3 ? "medium" : "low";
  return h("span", { class: `badge risk-${level}`, "data-value": risk }, locale.percent(risk));
}

function reasonList(reasons) {
  if (!Array.isArray(reasons) || reasons.length === 0) return null;
  return h(
    "ul",
    { class: "reasons" },
    reasons.slice(0, 3).map((reason) => h("li", {}, typeof reason === "string" ? reason : reason.text ?? reason.reason ?? "")),
  );
}

async function tasksDue(context, body) {
  const { locale } = context;
  const due = context.filters.as_of || context.today;
  const tasks = await context.api.get("/api/v1/tasks", { due_on: due, status: "open", limit: 100 });
  const items = tasks.items ?? [];
  if (items.length === 0) return empty(context, body, "tasks.none");

  const columns = [
    { key: "due", label: locale.t("tasks.due"), cell: (task) => locale.date(task.due_on) },
    { key: "kind", label: locale.t("tasks.kind"), cell: (task) => task.title ?? task.kind ?? task.channel },
    { key: "customer", label: locale.t("tasks.customer"), cell: (task) => customerLink(context, task.customer_id, task.customer_name ?? task.customer_id) },
    { key: "collector", label: locale.t("tasks.collector"), cell: (task) => task.collector ?? "" },
  ];
  replace(body, table(columns, items, (task) => task.id, locale.t("tasks.title")));
}

// ---------------------------------------------------------------- customers

/** Every customer the token may see, filtered like the overview. */
export function customerList(context) {
  const { locale } = context;
  return h(
    "div",
    { class: "grid" },
    panel(context, "customers", locale.t("customers.title"), (body) => customerPages(context, body), true),
  );
}

async function customerPages(context, body) {
  const { locale } = context;
  const { as_of: _asOf, ...filters } = apiFilters(context.filters);
  const rows = h("tbody", {});
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, locale.t("customers.more"));
  let cursor = null;
  let shown = 0;

  const loadPage = async () => {
    more.disabled = true;
    const page = await context.api.get("/api/v1/customers", { ...filters, sort: "name", limit: CUSTOMER_PAGE, cursor });
    for (const record of page.items ?? []) {
      const segmentation = record.customer?.segmentation ?? {};
      rows.append(
        h(
          "tr",
          { "data-key": record.id, "data-owner": segmentation.owner ?? "" },
          h("td", {}, customerLink(context, record.id, record.customer?.name ?? record.id)),
          h("td", {}, segmentation.legal_entity ?? ""),
          h("td", {}, segmentation.region ?? ""),
          h("td", {}, segmentation.segment ?? ""),
          h("td", { "data-column": "owner" }, segmentation.owner ?? ""),
          h("td", {}, segmentation.collector ?? ""),
        ),
      );
      shown += 1;
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
    count.textContent = locale.t("customers.count", { count: shown });
  };
  more.addEventListener("click", () => loadPage().catch((failure) => (count.textContent = failure.message)));

  await loadPage();
  if (shown === 0) return empty(context, body);
  const header = ["customers.name", "filter.entity", "filter.region", "filter.segment", "filter.owner", "group.collector"];
  replace(
    body,
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, header.map((key) => h("th", { scope: "col" }, locale.t(key))))),
        rows,
      ),
    ),
    count,
    more,
  );
}

// ---------------------------------------------------------------- one customer

/** One customer: who they are, their invoices, payments, reminders and score. */
export function customerPage(context, id) {
  const { locale } = context;
  const title = h("h1", { class: "page-title" }, "…");
  return h(
    "div",
    {},
    h("p", {}, h("a", { href: context.href("customers"), "data-link": true, class: "back" }, `← ${locale.t("customer.back")}`)),
    title,
    h(
      "div",
      { class: "grid" },
      panel(context, "customer", locale.t("customer.details"), (body) => customerDetails(context, id, body, title)),
      panel(context, "score", locale.t("customer.score"), (body) => customerScore(context, id, body)),
      panel(context, "invoices", locale.t("customer.invoices"), (body) => customerInvoices(context, id, body), true),
      panel(context, "payments", locale.t("customer.payments"), (body) => customerPayments(context, id, body), true),
      panel(context, "history", locale.t("customer.history"), (body) => dunningHistory(context, id, body), true),
    ),
  );
}

async function customerDetails(context, id, body, title) {
  const { locale } = context;
  let record;
  try {
    record = await context.api.get(`/api/v1/customers/${encodeURIComponent(id)}`);
  } catch (failure) {
    if (failure.status === 404 && !failure.missing) {
      title.textContent = locale.t("customer.not_found");
      title.dataset.state = "not-found";
      return empty(context, body, "customer.not_found");
    }
    throw failure;
  }

  const customer = record.customer ?? {};
  const segmentation = customer.segmentation ?? {};
  const contact = customer.contacts?.dunning ?? customer.contacts?.invoicing;
  title.textContent = customer.name;
  document.title = `${customer.name} · ${locale.t("app.title")}`;

  const facts = [
    ["filter.entity", segmentation.legal_entity],
    ["filter.region", segmentation.region],
    ["filter.segment", segmentation.segment],
    ["filter.owner", segmentation.owner],
    ["group.collector", segmentation.collector],
    ["customer.terms", customer.payment_terms_days === undefined || customer.payment_terms_days === null ? null : locale.t("customer.terms_days", { days: customer.payment_terms_days })],
    ["customer.contact", contact ? [contact.name, contact.email, contact.phone].filter(Boolean).join(" · ") : null],
  ].filter(([, value]) => value);
  replace(body, h("dl", { class: "facts" }, facts.map(([key, value]) => [h("dt", {}, locale.t(key)), h("dd", {}, value)])));
}

async function customerScore(context, id, body) {
  const { locale } = context;
  const score = await context.api.get(`/api/v1/scores/customers/${encodeURIComponent(id)}`);
  const reasons = reasonList(score.reasons);
  replace(
    body,
    h("p", { class: "score" }, riskBadge(locale, score.risk)),
    score.trend === undefined ? null : h("p", {}, `${locale.t("customer.trend")}: `, figure(String(score.trend), score.trend)),
    reasons ? [h("h3", {}, locale.t("customer.reasons")), reasons] : null,
  );
}

async function customerInvoices(context, id, body) {
  const { locale } = context;
  const asOf = context.filters.as_of || context.today;
  const page = await context.api.get("/api/v1/invoices", { customer_id: id, as_of: context.filters.as_of, sort: "-due_date", limit: 200 });
  const invoices = page.items ?? [];
  if (invoices.length === 0) return empty(context, body);

  const money = (value) => locale.money(value?.amount, value?.currency);
  const state = (invoice) => {
    const notes = [locale.t(`status.${invoice.status}`)];
    const open = invoice.status === "open" || invoice.status === "partially_paid";
    const late = open ? daysBetween(invoice.due_date, asOf) : 0;
    if (late > 0) notes.push(locale.t("invoice.late", { days: late }));
    if (invoice.dispute) notes.push(locale.t("invoice.disputed"));
    if (invoice.promise_to_pay) notes.push(locale.t("invoice.promised", { date: locale.date(invoice.promise_to_pay.promised_on) }));
    return h("span", { class: late > 0 ? "late" : null }, notes.join(" · "));
  };
  const columns = [
    { key: "number", label: locale.t("invoice.number"), cell: (invoice) => invoice.number },
    { key: "issue_date", label: locale.t("invoice.issue_date"), cell: (invoice) => locale.date(invoice.issue_date) },
    { key: "due_date", label: locale.t("invoice.due_date"), cell: (invoice) => locale.date(invoice.due_date) },
    { key: "total", label: locale.t("invoice.total"), numeric: true, cell: (invoice) => figure(money(invoice.total), invoice.total?.amount) },
    { key: "remaining", label: locale.t("invoice.remaining"), numeric: true, cell: (invoice) => figure(money(invoice.remaining), invoice.remaining?.amount) },
    { key: "status", label: locale.t("invoice.status"), cell: state },
  ];
  replace(body, table(columns, invoices, (invoice) => invoice.number, locale.t("customer.invoices")));
}

async function customerPayments(context, id, body) {
  const { locale } = context;
  const page = await context.api.get(`/api/v1/customers/${encodeURIComponent(id)}/payments`, { limit: 200 });
  const payments = page.items ?? [];
  if (payments.length === 0) return empty(context, body);

  const columns = [
    { key: "paid_on", label: locale.t("payment.date"), cell: (payment) => locale.date(payment.paid_on) },
    { key: "invoice", label: locale.t("payment.invoice"), cell: (payment) => payment.invoice_number },
    { key: "amount", label: locale.t("payment.amount"), numeric: true, cell: (payment) => figure(locale.money(payment.amount?.amount, payment.amount?.currency), payment.amount?.amount) },
    { key: "method", label: locale.t("payment.method"), cell: (payment) => (payment.reversed_at ? `${payment.method} (${locale.t("payment.reversed")})` : payment.method) },
  ];
  replace(body, table(columns, payments, (payment) => payment.id, locale.t("customer.payments")));
}

async function dunningHistory(context, id, body) {
  const { locale } = context;
  const history = await context.api.get("/api/v1/dunning/history", { customer_id: id, limit: 100 });
  const actions = history.items ?? [];
  if (actions.length === 0) return empty(context, body);

  const columns = [
    { key: "when", label: locale.t("history.when"), cell: (action) => locale.instant(action.at ?? action.occurred_at) },
    { key: "what", label: locale.t("history.what"), cell: (action) => action.what ?? action.step ?? action.channel },
    { key: "who", label: locale.t("history.who"), cell: (action) => action.who ?? action.by ?? "" },
    { key: "result", label: locale.t("history.result"), cell: (action) => action.result ?? "" },
  ];
  replace(body, table(columns, actions, (action) => action.id, locale.t("customer.history")));
}

/** Whole days from `from` to `to`, both `YYYY-MM-DD`. */
function daysBetween(from, to) {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  return Math.round((end - start) / 86_400_000);
}
