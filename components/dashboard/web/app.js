// The page's frame: signing in with an API token, the language, the filters
// kept in the address (so a view can be shared), and which view the address
// names. The views themselves live in views.js.

import { Api, forgetToken, storeToken, storedToken } from "./api.js";
import { h, replace } from "./dom.js";
import { LANGUAGES, Locale, preferredLanguage, rememberLanguage } from "./i18n.js";
import { customerList, customerPage, overview } from "./views.js";

/** Where the page lives; views are addresses below it. */
const ROOT = "/dashboard/";

/** The address's query parameters the page reads. */
const FILTERS = ["entity", "region", "segment", "owner", "as_of", "group_by"];

/** The segmentation filters, with the customer field each one reads. */
const DIMENSIONS = [
  ["entity", "legal_entity"],
  ["region", "region"],
  ["segment", "segment"],
  ["owner", "owner"],
];

/** Customers read to offer each filter's values: at most this many pages. */
const DIMENSION_PAGES = 20;

const state = {
  locale: new Locale(preferredLanguage()),
  api: null,
  session: null,
  dimensions: null,
};

const app = document.getElementById("app");

// ---------------------------------------------------------------- addresses

/** Today in the reader's calendar, `YYYY-MM-DD`. */
function today() {
  const now = new Date();
  const pad = (number) => String(number).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function currentFilters() {
  const parameters = new URLSearchParams(window.location.search);
  return Object.fromEntries(FILTERS.map((name) => [name, parameters.get(name) ?? ""]));
}

function currentView() {
  const path = window.location.pathname;
  return path.startsWith(ROOT) ? path.slice(ROOT.length).replace(/\/+$/, "") : "";
}

/** The address of `view` with `filters` in its query. */
function href(view, filters = currentFilters()) {
  const parameters = new URLSearchParams();
  for (const name of FILTERS) {
    if (filters[name]) parameters.set(name, filters[name]);
  }
  const query = parameters.toString();
  return `${ROOT}${view}${query ? `?${query}` : ""}`;
}

function navigate(address) {
  window.history.pushState({}, "", address);
  render();
}

function setFilter(name, value) {
  navigate(href(currentView(), { ...currentFilters(), [name]: value }));
}

// ---------------------------------------------------------------- signing in

async function signIn(token) {
  const api = new Api(token);
  const session = await api.get("/dashboard/session");
  storeToken(token);
  state.api = api;
  state.session = session;
  state.dimensions = null;
}

function signOut() {
  forgetToken();
  state.api = null;
  state.session = null;
  state.dimensions = null;
  render();
}

function signInForm() {
  const { locale } = state;
  const problem = h("p", { class: "problem", role: "alert", hidden: true });
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "token-help",
  });
  const submit = async (event) => {
    event.preventDefault();
    problem.hidden = true;
    try {
      await signIn(input.value.trim());
      render();
    } catch (failure) {
      problem.textContent =
        failure.status === 401 ? locale.t("signin.refused") : locale.t("signin.failed", { message: failure.message });
      problem.hidden = false;
    }
  };

  return h(
    "main",
    { id: "content", class: "sign-in" },
    h(
      "form",
      { class: "panel", onsubmit: submit, "data-view": "sign-in" },
      h("h1", {}, locale.t("app.title")),
      h("h2", {}, locale.t("signin.title")),
      h("label", { for: "token" }, locale.t("signin.token")),
      input,
      h("p", { id: "token-help", class: "muted" }, locale.t("signin.help")),
      problem,
      h("button", { type: "submit" }, locale.t("signin.submit")),
      languageSwitch(),
    ),
  );
}

// ---------------------------------------------------------------- the frame

function languageSwitch() {
  const { locale } = state;
  const other = LANGUAGES.find((language) => language !== locale.language);
  return h(
    "button",
    {
      type: "button",
      class: "link",
      lang: other,
      "data-language": other,
      onclick: () => {
        rememberLanguage(other);
        state.locale = new Locale(other);
        render();
      },
    },
    locale.t("language.other"),
  );
}

function whoIsSignedIn() {
  const { locale, session } = state;
  const scope = session.scope ?? { kind: "everything" };
  const portfolio = locale.t(`scope.${scope.kind}`, { person: scope.person ?? "" });
  return h("span", { class: "who", "data-role": session.role }, `${locale.t(`role.${session.role}`)} · ${portfolio}`);
}

function header() {
  const { locale } = state;
  const view = currentView();
  const link = (target, key) =>
    h(
      "a",
      { href: href(target), "data-link": true, "aria-current": view.split("/")[0] === target ? "page" : null },
      locale.t(key),
    );

  return h(
    "header",
    { class: "top" },
    h("a", { class: "skip", href: "#content" }, locale.t("app.skip")),
    h("div", { class: "brand" }, h("img", { src: "/dashboard/assets/icon.svg", alt: "", width: 24, height: 24 }), locale.t("app.title")),
    h("nav", { "aria-label": locale.t("nav.label") }, link("", "nav.overview"), link("customers", "nav.customers")),
    h("div", { class: "session" }, whoIsSignedIn(), languageSwitch(), h("button", { type: "button", class: "secondary", onclick: signOut }, locale.t("signout"))),
  );
}

/**
 * The values each filter can take, read from the customers this token sees,
 * so a salesperson is offered only the values of their own portfolio.
 */
function dimensionValues() {
  if (!state.dimensions) {
    state.dimensions = (async () => {
      const values = Object.fromEntries(DIMENSIONS.map(([name]) => [name, new Set()]));
      let cursor = null;
      for (let page = 0; page < DIMENSION_PAGES; page += 1) {
        const listing = await state.api.get("/api/v1/customers", { limit: 1000, cursor });
        for (const record of listing.items ?? []) {
          const segmentation = record.customer?.segmentation ?? {};
          for (const [name, field] of DIMENSIONS) {
            if (segmentation[field]) values[name].add(segmentation[field]);
          }
        }
        cursor = listing.next_cursor;
        if (!cursor) break;
      }
      return values;
    })();
  }
  return state.dimensions;
}

function filterBar() {
  const { locale, session } = state;
  const filters = currentFilters();
  const ownerFixed = session.scope?.kind === "owner";

  const selects = DIMENSIONS.map(([name]) => {
    const fixed = name === "owner" && ownerFixed;
    const chosen = fixed ? session.scope.person : filters[name];
    const select = h(
      "select",
      { id: `filter-${name}`, name, disabled: fixed, onchange: (event) => setFilter(name, event.target.value) },
      h("option", { value: "" }, locale.t("filter.all")),
      chosen ? h("option", { value: chosen, selected: true }, chosen) : null,
    );
    return { name, select, chosen, fixed };
  });

  dimensionValues()
    .then((values) => {
      for (const { name, select, chosen, fixed } of selects) {
        if (fixed) continue;
        const options = [...values[name]].sort((a, b) => a.localeCompare(b, locale.tag));
        replace(
          select,
          h("option", { value: "" }, locale.t("filter.all")),
          options.map((value) => h("option", { value, selected: value === chosen }, value)),
          chosen && !values[name].has(chosen) ? h("option", { value: chosen, selected: true }, chosen) : null,
        );
      }
      document.querySelector(".filters")?.setAttribute("data-state", "ready");
    })
    .catch((failure) => console.error("filter values", failure));

  const asOf = h("input", {
    id: "filter-as_of",
    name: "as_of",
    type: "date",
    value: filters.as_of || today(),
    max: "9999-12-31",
    onchange: (event) => setFilter("as_of", event.target.value === today() ? "" : event.target.value),
  });
  const anyFilter = FILTERS.some((name) => name !== "group_by" && filters[name]);

  return h(
    "form",
    { class: "filters", "aria-label": locale.t("filters.label"), onsubmit: (event) => event.preventDefault() },
    selects.map(({ name, select }) => h("label", { for: `filter-${name}` }, h("span", {}, locale.t(`filter.${name}`)), select)),
    h("label", { for: "filter-as_of" }, h("span", {}, locale.t("filter.as_of")), asOf),
    h(
      "button",
      {
        type: "button",
        class: "secondary",
        disabled: !anyFilter,
        onclick: () => navigate(href(currentView(), { group_by: filters.group_by })),
      },
      locale.t("filter.clear"),
    ),
  );
}

function viewFor(context) {
  const view = currentView();
  const customer = view.match(/^customers\/([^/]+)$/);
  if (customer) return { name: "customer", node: customerPage(context, decodeURIComponent(customer[1])) };
  if (view === "customers") return { name: "customers", node: customerList(context) };
  return { name: "overview", node: overview(context) };
}

// ---------------------------------------------------------------- drawing

function render() {
  const { locale } = state;
  document.documentElement.lang = locale.language;
  document.title = locale.t("app.title");

  if (!state.session) {
    replace(app, signInForm());
    document.getElementById("token")?.focus();
    return;
  }

  const context = {
    api: state.api,
    locale,
    session: state.session,
    filters: currentFilters(),
    today: today(),
    href: (view) => href(view),
    setFilter,
  };
  const { name, node } = viewFor(context);
  replace(app, header(), filterBar(), h("main", { id: "content", "data-view": name }, node));
}

/** Client-side navigation for the page's own links; others behave as usual. */
function followLinks(event) {
  const link = event.target.closest?.("a[data-link]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
}

async function start() {
  document.addEventListener("click", followLinks);
  window.addEventListener("popstate", render);

  const token = storedToken();
  if (token) {
    try {
      await signIn(token);
    } catch (failure) {
      if (failure.status === 401) forgetToken();
    }
  }
  render();
}

start();
