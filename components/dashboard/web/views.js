// The views of the page: the overview (tiles, aged balance, DSO trend, cash
// forecast, customers at risk, today's tasks), the customer list and one
// customer's page. Each panel loads its own API and shows nothing but a
// plain message when that API fails or is not served.

import { columnChart, legend, lineChart, stackedBars } from "./charts.js";
import { h, replace } from "./dom.js";

/** The aged balance buckets, oldest last, as the KPI API names them. */
const BUCKETS = ["not_due", "days_1_30", "days_31_60", "days_61_90", "over_90_days"];

/** What the aged balance can be grouped by. */
export const GROUPS = ["region", "entity", "segment", "owner", "collector", "customer"];

/** How many groups the aged balance shows at most. */
const AGED_GROUPS = 25;

/** How many customers at risk the overview lists. */
const RISK_ROWS = 10;

/** How many open tasks the overview lists. */
const TASK_ROWS = 25;

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
      if (failure.missing) {
        section.dataset.state = "unavailable";
        replace(body, h("p", { class: "muted" }, context.locale.t("panel.unavailable")));
      } else if (failure.status === 404) {
        // The app's own "not found": nothing recorded yet, or not in this portfolio.
        section.dataset.state = "empty";
        replace(body, h("p", { class: "muted" }, failure.message));
      } else {
        section.dataset.state = "error";
        replace(body, h("p", { class: "problem", role: "alert" }, context.locale.t("panel.error", { message: failure.message })));
        console.error(name, failure);
      }
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
 * A table: `columns` are `{ label, cell(row), numeric, nowrap, key }`; each row gets
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
              h("td", { class: column.numeric ? "numeric" : column.nowrap ? "nowrap" : null, "data-column": column.key }, column.cell(row)),
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

/** A probability of paying late (0 to 1) as a coloured percentage. */
function riskBadge(locale, risk) {
  if (risk === undefined || risk === null) return figure("–", "");
  const level = risk >= 0.6 ? "high" : risk >= 0.3 ? "medium" : "low";
  return h("span", { class: `badge risk-${level}`, "data-value": risk }, locale.percent(risk));
}

/** The scoring model's reasons in plain words, strongest first. */
function reasonList(reasons, count = 3) {
  if (!reasons || reasons.length === 0) return null;
  return h(
    "ul",
    { class: "reasons" },
    reasons.slice(0, count).map((reason) => h("li", { class: `effect-${reason.effect}` }, reason.text)),
  );
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
  const money = (value) => locale.money(value, summary.currency);
  const share = (percent) => (percent === null || percent === undefined ? null : locale.percent(percent / 100));
  const outstanding = summary.outstanding;
  const dso = summary.dso;

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
      tile(
        "outstanding",
        locale.t("tile.outstanding"),
        outstanding.total,
        money(outstanding.total),
        locale.t("tile.outstanding_note", { not_due: money(outstanding.not_due), disputed: money(outstanding.disputed) }),
      ),
      tile(
        "overdue",
        locale.t("tile.overdue"),
        outstanding.overdue,
        money(outstanding.overdue),
        summary.overdue_share_percent === null ? null : locale.t("tile.overdue_share", { share: share(summary.overdue_share_percent) }),
      ),
      tile(
        "dso",
        locale.t("tile.dso"),
        dso.countback_days,
        locale.days(dso.countback_days),
        dso.best_possible_days === null
          ? locale.t("tile.dso_method")
          : locale.t("tile.dso_note", { best: locale.days(dso.best_possible_days) }),
      ),
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
        summary.at_risk.rate_percent,
        share(summary.at_risk.rate_percent) ?? "–",
        locale.t("tile.at_risk_note", { amount: money(summary.at_risk.amount) }),
      ),
    ),
  );
}

async function agedBalance(context, body) {
  const { locale, filters } = context;
  const groupBy = GROUPS.includes(filters.group_by) ? filters.group_by : GROUPS[0];
  const aged = await context.api.get("/api/v1/kpi/aged-balance", { ...apiFilters(filters), group_by: groupBy, limit: AGED_GROUPS });
  const currency = aged.currency;
  const series = BUCKETS.map((bucket) => ({ key: bucket, label: locale.t(`bucket.${bucket}`) }));
  const groups = aged.groups;

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

  const label = (group) => group.name ?? group.key ?? locale.t("group.none");
  const money = (value) => locale.money(value, currency);
  const rows = groups.map((group) => ({ label: label(group), values: BUCKETS.map((bucket) => group[bucket]) }));
  const totalRow = { ...aged.total, key: "total", name: locale.t("aged.total") };
  const name = (group) =>
    groupBy === "customer" && group !== totalRow && group.key ? customerLink(context, group.key, label(group)) : label(group);
  const columns = [
    { key: "group", label: locale.t(`group.${groupBy}`), cell: name },
    ...BUCKETS.map((bucket) => ({
      key: bucket,
      label: locale.t(`bucket.${bucket}`),
      numeric: true,
      cell: (group) => figure(money(group[bucket]), group[bucket]),
    })),
    { key: "total", label: locale.t("aged.total"), numeric: true, cell: (group) => figure(money(group.total), group.total) },
  ];
  const shown =
    aged.group_count > groups.length
      ? h("p", { class: "muted" }, locale.t("aged.shown", { shown: groups.length, count: aged.group_count }))
      : null;

  replace(
    body,
    chooser,
    stackedBars({
      title: locale.t("aged.chart", { group: locale.t(`group.${groupBy}`).toLowerCase() }),
      rows,
      series,
      format: money,
      formatTick: (tick) => locale.wholeMoney(tick, currency),
    }),
    legend(series),
    table(columns, [...groups, totalRow], (group) => group.key ?? "", locale.t("aged.title")),
    shown,
  );
}

async function dsoTrend(context, body) {
  const { locale } = context;
  const trend = await context.api.get("/api/v1/kpi/dso", { ...apiFilters(context.filters), months: 12 });
  const points = trend.points;
  if (points.length === 0) return empty(context, body);

  replace(
    body,
    h("p", { class: "muted caption" }, locale.t("dso.chart")),
    lineChart({
      title: locale.t("dso.chart"),
      points: points.map((point) => ({ label: locale.month(point.on), value: point.days })),
      format: (value) => locale.days(value),
      formatTick: (tick) => locale.integer(tick),
    }),
    h(
      "details",
      {},
      h("summary", {}, locale.t("dso.table")),
      table(
        [
          { key: "month", label: locale.t("dso.month"), nowrap: true, cell: (point) => locale.date(point.on) },
          { key: "receivables", label: locale.t("dso.receivables"), numeric: true, cell: (point) => figure(locale.money(point.receivables, trend.currency), point.receivables) },
          { key: "dso", label: locale.t("dso.value"), numeric: true, cell: (point) => figure(locale.days(point.days), point.days) },
        ],
        points,
        (point) => point.on,
      ),
    ),
  );
}

async function cashForecast(context, body) {
  const { locale } = context;
  const forecast = await context.api.get("/api/v1/kpi/forecast", { ...apiFilters(context.filters), horizon_weeks: 13 });
  const weeks = forecast.weeks;
  if (weeks.length === 0) return empty(context, body);

  const money = (value) => locale.money(value, forecast.currency);
  replace(
    body,
    columnChart({
      title: locale.t("forecast.chart"),
      points: weeks.map((week) => ({ label: locale.shortDate(week.from), value: week.expected })),
      format: money,
      formatTick: (tick) => locale.wholeMoney(tick, forecast.currency),
    }),
    h("p", { class: "muted" }, locale.t("forecast.later", { amount: money(forecast.after_weeks.expected) })),
    h(
      "details",
      {},
      h("summary", {}, locale.t("forecast.table")),
      table(
        [
          { key: "week", label: locale.t("forecast.week"), nowrap: true, cell: (week) => `${locale.date(week.from)} – ${locale.date(week.to)}` },
          { key: "expected", label: locale.t("forecast.expected"), numeric: true, cell: (week) => figure(money(week.expected), week.expected) },
          { key: "baseline", label: locale.t("forecast.baseline"), numeric: true, cell: (week) => figure(money(week.due_date_baseline), week.due_date_baseline) },
        ],
        weeks,
        (week) => week.from,
      ),
    ),
  );
}

async function customersAtRisk(context, body) {
  const { locale } = context;
  const ranking = await context.api.get("/api/v1/kpi/customers", { ...apiFilters(context.filters), sort: "risk", limit: RISK_ROWS });
  const customers = ranking.customers;
  if (customers.length === 0) return empty(context, body);

  const money = (value) => locale.money(value, ranking.currency);
  const columns = [
    { key: "customer", label: locale.t("risk.customer"), cell: (row) => customerLink(context, row.customer_id, row.name) },
    { key: "risk", label: locale.t("risk.score"), numeric: true, cell: (row) => riskBadge(locale, row.risk) },
    { key: "overdue", label: locale.t("risk.overdue"), numeric: true, cell: (row) => figure(money(row.overdue), row.overdue) },
    { key: "outstanding", label: locale.t("risk.outstanding"), numeric: true, cell: (row) => figure(money(row.balance.total), row.balance.total) },
    { key: "dso", label: locale.t("risk.dso"), numeric: true, cell: (row) => figure(locale.days(row.dso_days), row.dso_days) },
    { key: "delay", label: locale.t("risk.delay"), numeric: true, cell: (row) => delayWithTrend(locale, row) },
    { key: "reasons", label: locale.t("risk.reasons"), cell: (row) => scoreReasons(context, row) },
  ];
  replace(body, table(columns, customers, (row) => row.customer_id, locale.t("risk.title")));
}

function delayWithTrend(locale, row) {
  const arrow = { worsening: "↗", stable: "→", improving: "↘" }[row.trend] ?? "";
  return h(
    "span",
    { title: row.trend ? locale.t(`trend.${row.trend}`) : null },
    figure(locale.days(row.average_payment_delay_days), row.average_payment_delay_days),
    arrow ? ` ${arrow}` : null,
  );
}

/** The scoring model's reasons for a customer's risk, filled in once they arrive. */
function scoreReasons(context, row) {
  const cell = h("span", { class: "muted" }, row.risk === null ? "" : "…");
  if (row.risk === null) return cell;
  context.api
    .get(`/api/v1/scores/customers/${row.customer_id}`)
    .then((score) => replace(cell, reasonList(score.reasons, 2) ?? ""))
    .catch(() => replace(cell, ""));
  return cell;
}

async function tasksDue(context, body) {
  const { locale } = context;
  const due = context.filters.as_of || context.today;
  const tasks = await context.api.get("/api/v1/tasks", { status: "open", due_by: due, limit: TASK_ROWS });
  const items = tasks.items;
  if (items.length === 0) return empty(context, body, "tasks.none");

  const columns = [
    { key: "due", label: locale.t("tasks.due"), nowrap: true, cell: (task) => h("span", { class: task.due_on < due ? "late" : null }, locale.date(task.due_on)) },
    { key: "kind", label: locale.t("tasks.kind"), cell: (task) => locale.t(`task.${task.kind}`) },
    { key: "customer", label: locale.t("tasks.customer"), cell: (task) => customerLink(context, task.customer_id, task.customer_name) },
    { key: "invoices", label: locale.t("tasks.invoices"), cell: (task) => task.invoices.map((invoice) => invoice.number).join(", ") },
    { key: "collector", label: locale.t("tasks.collector"), cell: (task) => task.collector ?? "" },
  ];
  replace(
    body,
    table(columns, items, (task) => task.id, locale.t("tasks.title")),
    tasks.next_cursor ? h("p", { class: "muted" }, locale.t("tasks.more", { shown: items.length })) : null,
  );
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
  const trend = score.trend;
  const change =
    trend.previous_risk === null
      ? null
      : locale.t("score.change", { change: locale.signedPoints(trend.change), since: locale.date(trend.since) });

  replace(
    body,
    h("p", { class: "score" }, riskBadge(locale, score.risk), " ", locale.t("score.late_probability")),
    h("p", { "data-trend": trend.direction }, locale.t(`score.${trend.direction}`), change ? ` · ${change}` : null),
    reasons ? [h("h3", {}, locale.t("customer.reasons")), reasons] : null,
    h("p", { class: "muted" }, locale.t("score.scored_on", { date: locale.date(score.scored_on), version: score.model_version })),
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
    { key: "issue_date", label: locale.t("invoice.issue_date"), nowrap: true, cell: (invoice) => locale.date(invoice.issue_date) },
    { key: "due_date", label: locale.t("invoice.due_date"), nowrap: true, cell: (invoice) => locale.date(invoice.due_date) },
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
    { key: "paid_on", label: locale.t("payment.date"), nowrap: true, cell: (payment) => locale.date(payment.paid_on) },
    { key: "invoice", label: locale.t("payment.invoice"), cell: (payment) => payment.invoice_number },
    { key: "amount", label: locale.t("payment.amount"), numeric: true, cell: (payment) => figure(locale.money(payment.amount?.amount, payment.amount?.currency), payment.amount?.amount) },
    {
      key: "method",
      label: locale.t("payment.method"),
      cell: (payment) => {
        const method = locale.label("method", payment.method);
        return payment.reversed_at ? `${method} (${locale.t("payment.reversed")})` : method;
      },
    },
  ];
  replace(body, table(columns, payments, (payment) => payment.id, locale.t("customer.payments")));
}

async function dunningHistory(context, id, body) {
  const { locale } = context;
  const history = await context.api.get("/api/v1/dunning/history", { customer_id: id, limit: 100 });
  const actions = history.items;
  if (actions.length === 0) return empty(context, body);

  const what = (action) => {
    const channel = action.channel ? locale.label("channel", action.channel) : null;
    const step = action.step_key && action.step_key !== action.channel ? action.step_key : null;
    return [locale.label("action", action.kind), step, channel].filter(Boolean).join(" · ");
  };
  const columns = [
    { key: "when", label: locale.t("history.when"), nowrap: true, cell: (action) => h("span", { title: locale.instant(action.at) }, locale.date(action.as_of)) },
    { key: "what", label: locale.t("history.what"), cell: what },
    { key: "invoices", label: locale.t("tasks.invoices"), cell: (action) => action.invoices.map((invoice) => invoice.number).join(", ") },
    { key: "who", label: locale.t("history.who"), cell: (action) => (action.actor === "dunning-run" ? locale.t("history.run") : action.actor) },
    { key: "result", label: locale.t("history.result"), cell: (action) => locale.label("result", action.message_status ?? action.result) },
  ];
  replace(body, table(columns, actions, (action) => action.id, locale.t("customer.history")));
}

/** Whole days from `from` to `to`, both `YYYY-MM-DD`. */
function daysBetween(from, to) {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  return Math.round((end - start) / 86_400_000);
}
