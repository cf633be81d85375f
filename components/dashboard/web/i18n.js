// The page in French and English: every sentence it shows, and amounts, day
// counts, rates and dates formatted with Intl for the reader's locale.

const MESSAGES = {
  en: {
    "app.title": "Relance receivables",
    "app.skip": "Skip to the content",
    "signin.title": "Sign in",
    "signin.token": "API token",
    "signin.help":
      "Paste the API token an administrator gave you. It stays in this browser tab and is forgotten when the tab closes.",
    "signin.submit": "Sign in",
    "signin.refused": "This token is unknown or revoked; ask an administrator for a new one.",
    "signin.failed": "Signing in failed: {message}",
    "signout": "Sign out",
    "language.other": "Français",
    "role.admin": "Administrator",
    "role.manager": "Credit manager",
    "role.collector": "Collector",
    "role.sales": "Salesperson",
    "role.viewer": "Viewer",
    "scope.everything": "all customers",
    "scope.owner": "portfolio of {person}",
    "scope.collector": "customers assigned to {person}",
    "nav.label": "Views",
    "nav.overview": "Overview",
    "nav.customers": "Customers",
    "nav.tasks": "Today's tasks",
    "filters.label": "Filters",
    "filter.entity": "Entity",
    "filter.region": "Region",
    "filter.segment": "Segment",
    "filter.owner": "Owner",
    "filter.as_of": "As of",
    "filter.all": "All",
    "filter.clear": "Clear filters",
    "tile.outstanding": "Outstanding",
    "tile.overdue": "Overdue",
    "tile.overdue_share": "{share} of outstanding",
    "tile.dso": "DSO",
    "tile.dso_method": "countback method",
    "tile.average_delay": "Average payment delay",
    "tile.average_delay_note": "amount-weighted, after due date",
    "tile.at_risk": "At-risk rate",
    "tile.at_risk_note": "of outstanding: {amount} with high-risk customers",
    "unit.days": "{days} days",
    "aged.title": "Aged balance",
    "aged.group_by": "Group by",
    "aged.total": "Total",
    "aged.chart": "Aged balance by {group}, stacked by age",
    "group.customer": "Customer",
    "group.entity": "Entity",
    "group.region": "Region",
    "group.segment": "Segment",
    "group.owner": "Owner",
    "group.collector": "Collector",
    "group.none": "(none)",
    "bucket.not_due": "Not due",
    "bucket.days_1_30": "1–30 days",
    "bucket.days_31_60": "31–60 days",
    "bucket.days_61_90": "61–90 days",
    "bucket.over_90_days": "Over 90 days",
    "dso.title": "DSO trend",
    "dso.chart": "DSO by month, in days",
    "dso.month": "Month",
    "dso.value": "DSO (days)",
    "forecast.title": "Cash forecast, next 13 weeks",
    "forecast.chart": "Expected collections by week",
    "forecast.week": "Week of",
    "forecast.expected": "Expected",
    "forecast.total": "Total expected",
    "risk.title": "Customers at risk",
    "risk.customer": "Customer",
    "risk.overdue": "Overdue",
    "risk.outstanding": "Outstanding",
    "risk.score": "Risk",
    "risk.dso": "DSO",
    "risk.delay": "Average delay",
    "risk.reasons": "Why",
    "tasks.title": "Tasks due today",
    "tasks.none": "No task due today.",
    "tasks.more": "The first {shown} are shown; more are open.",
    "tasks.due": "Due",
    "tasks.kind": "Action",
    "tasks.customer": "Customer",
    "tasks.invoices": "Invoices",
    "tasks.collector": "Collector",
    "customers.title": "Customers",
    "customers.name": "Name",
    "customers.more": "Show more",
    "customers.count": "{count} customers shown",
    "customer.back": "All customers",
    "customer.details": "Customer",
    "customer.invoices": "Invoices",
    "customer.payments": "Payments",
    "customer.history": "Dunning history",
    "customer.score": "Payment score",
    "customer.not_found": "This customer does not exist or is outside your portfolio.",
    "customer.terms": "Payment terms",
    "customer.terms_days": "{days} days",
    "customer.contact": "Dunning contact",
    "customer.open_balance": "Still owed",
    "customer.trend": "Trend",
    "customer.reasons": "What drives it",
    "invoice.number": "Number",
    "invoice.issue_date": "Issued",
    "invoice.due_date": "Due",
    "invoice.total": "Total",
    "invoice.remaining": "Remaining",
    "invoice.status": "Status",
    "invoice.late": "{days} days late",
    "invoice.disputed": "disputed",
    "invoice.promised": "promised for {date}",
    "status.draft": "Draft",
    "status.open": "Open",
    "status.partially_paid": "Partly paid",
    "status.paid": "Paid",
    "status.void": "Void",
    "status.uncollectible": "Uncollectible",
    "payment.date": "Paid on",
    "payment.invoice": "Invoice",
    "payment.amount": "Amount",
    "payment.method": "How",
    "payment.reversed": "reversed",
    "history.when": "When",
    "history.what": "What",
    "history.who": "Who",
    "history.result": "Result",
    "tile.outstanding_note": "not due {not_due} · disputed {disputed}",
    "tile.dso_note": "countback; best possible {best}",
    "aged.shown": "The {shown} largest of {count}.",
    "dso.table": "By month",
    "dso.receivables": "Receivables",
    "forecast.table": "By week",
    "forecast.baseline": "By due dates",
    "forecast.later": "{amount} expected after these 13 weeks.",
    "trend.worsening": "paying later than before",
    "trend.stable": "paying as before",
    "trend.improving": "paying sooner than before",
    "task.call": "Call",
    "task.letter": "Letter",
    "task.registered_letter": "Registered letter",
    "task.formal_notice": "Formal notice",
    "task.litigation": "Litigation",
    "task.update_contact": "Update the contact",
    "channel.email": "email",
    "channel.call": "call",
    "channel.letter": "letter",
    "channel.registered_letter": "registered letter",
    "channel.formal_notice": "formal notice",
    "channel.litigation": "litigation",
    "action.step": "Dunning step",
    "action.task_outcome": "Task outcome",
    "history.run": "Dunning run",
    "score.late_probability": "chance of paying late",
    "score.rising": "Rising",
    "score.falling": "Falling",
    "score.steady": "Steady",
    "score.change": "{change} since {since}",
    "score.scored_on": "Scored on {date} by model {version}.",
    "method.bank_transfer": "bank transfer",
    "method.direct_debit": "direct debit",
    "method.card": "card",
    "method.cheque": "cheque",
    "method.other": "other",
    "result.queued": "queued",
    "result.pending": "waiting to be sent",
    "result.sent": "sent",
    "result.failed": "failed",
    "result.task_created": "task created",
    "panel.loading": "Loading…",
    "panel.unavailable": "Not available on this server yet.",
    "panel.empty": "Nothing to show.",
    "panel.error": "Could not load: {message}",
  },
  fr: {
    "app.title": "Relance encours clients",
    "app.skip": "Aller au contenu",
    "signin.title": "Connexion",
    "signin.token": "Jeton d’API",
    "signin.help":
      "Collez le jeton d’API remis par un administrateur. Il reste dans cet onglet du navigateur et s’efface à sa fermeture.",
    "signin.submit": "Se connecter",
    "signin.refused": "Ce jeton est inconnu ou révoqué ; demandez-en un nouveau à un administrateur.",
    "signin.failed": "La connexion a échoué : {message}",
    "signout": "Se déconnecter",
    "language.other": "English",
    "role.admin": "Administrateur",
    "role.manager": "Credit manager",
    "role.collector": "Chargé de recouvrement",
    "role.sales": "Commercial",
    "role.viewer": "Lecteur",
    "scope.everything": "tous les clients",
    "scope.owner": "portefeuille de {person}",
    "scope.collector": "clients suivis par {person}",
    "nav.label": "Vues",
    "nav.overview": "Vue d’ensemble",
    "nav.customers": "Clients",
    "nav.tasks": "Tâches du jour",
    "filters.label": "Filtres",
    "filter.entity": "Entité",
    "filter.region": "Région",
    "filter.segment": "Segment",
    "filter.owner": "Commercial",
    "filter.as_of": "Au",
    "filter.all": "Tous",
    "filter.clear": "Effacer les filtres",
    "tile.outstanding": "Encours",
    "tile.overdue": "Échu",
    "tile.overdue_share": "{share} de l’encours",
    "tile.dso": "DSO",
    "tile.dso_method": "méthode par épuisement",
    "tile.average_delay": "Retard moyen de paiement",
    "tile.average_delay_note": "pondéré par les montants, après échéance",
    "tile.at_risk": "Taux à risque",
    "tile.at_risk_note": "de l’encours : {amount} chez des clients à risque élevé",
    "unit.days": "{days} jours",
    "aged.title": "Balance âgée",
    "aged.group_by": "Regrouper par",
    "aged.total": "Total",
    "aged.chart": "Balance âgée par {group}, empilée par ancienneté",
    "group.customer": "Client",
    "group.entity": "Entité",
    "group.region": "Région",
    "group.segment": "Segment",
    "group.owner": "Commercial",
    "group.collector": "Chargé de recouvrement",
    "group.none": "(aucun)",
    "bucket.not_due": "Non échu",
    "bucket.days_1_30": "1 à 30 jours",
    "bucket.days_31_60": "31 à 60 jours",
    "bucket.days_61_90": "61 à 90 jours",
    "bucket.over_90_days": "Plus de 90 jours",
    "dso.title": "Évolution du DSO",
    "dso.chart": "DSO par mois, en jours",
    "dso.month": "Mois",
    "dso.value": "DSO (jours)",
    "forecast.title": "Prévision d’encaissements, 13 semaines",
    "forecast.chart": "Encaissements attendus par semaine",
    "forecast.week": "Semaine du",
    "forecast.expected": "Attendu",
    "forecast.total": "Total attendu",
    "risk.title": "Clients à risque",
    "risk.customer": "Client",
    "risk.overdue": "Échu",
    "risk.outstanding": "Encours",
    "risk.score": "Risque",
    "risk.dso": "DSO",
    "risk.delay": "Retard moyen",
    "risk.reasons": "Pourquoi",
    "tasks.title": "Tâches du jour",
    "tasks.none": "Aucune tâche prévue aujourd’hui.",
    "tasks.more": "Les {shown} premières sont affichées ; d’autres sont ouvertes.",
    "tasks.due": "Échéance",
    "tasks.kind": "Action",
    "tasks.customer": "Client",
    "tasks.invoices": "Factures",
    "tasks.collector": "Chargé",
    "customers.title": "Clients",
    "customers.name": "Nom",
    "customers.more": "Afficher plus",
    "customers.count": "{count} clients affichés",
    "customer.back": "Tous les clients",
    "customer.details": "Client",
    "customer.invoices": "Factures",
    "customer.payments": "Paiements",
    "customer.history": "Historique des relances",
    "customer.score": "Score de paiement",
    "customer.not_found": "Ce client n’existe pas ou n’est pas dans votre portefeuille.",
    "customer.terms": "Délai de paiement",
    "customer.terms_days": "{days} jours",
    "customer.contact": "Contact relances",
    "customer.open_balance": "Reste dû",
    "customer.trend": "Tendance",
    "customer.reasons": "Ce qui l’explique",
    "invoice.number": "Numéro",
    "invoice.issue_date": "Émise le",
    "invoice.due_date": "Échéance",
    "invoice.total": "Montant TTC",
    "invoice.remaining": "Reste dû",
    "invoice.status": "Statut",
    "invoice.late": "{days} jours de retard",
    "invoice.disputed": "en litige",
    "invoice.promised": "promesse au {date}",
    "status.draft": "Brouillon",
    "status.open": "Ouverte",
    "status.partially_paid": "Partiellement payée",
    "status.paid": "Payée",
    "status.void": "Annulée",
    "status.uncollectible": "Irrécouvrable",
    "payment.date": "Payé le",
    "payment.invoice": "Facture",
    "payment.amount": "Montant",
    "payment.method": "Comment",
    "payment.reversed": "annulé",
    "history.when": "Quand",
    "history.what": "Quoi",
    "history.who": "Qui",
    "history.result": "Résultat",
    "tile.outstanding_note": "non échu {not_due} · en litige {disputed}",
    "tile.dso_note": "par épuisement ; meilleur possible {best}",
    "aged.shown": "Les {shown} plus importants sur {count}.",
    "dso.table": "Par mois",
    "dso.receivables": "Créances",
    "forecast.table": "Par semaine",
    "forecast.baseline": "Selon les échéances",
    "forecast.later": "{amount} attendus au-delà de ces 13 semaines.",
    "trend.worsening": "paie plus tard qu’avant",
    "trend.stable": "paie comme avant",
    "trend.improving": "paie plus tôt qu’avant",
    "task.call": "Appel",
    "task.letter": "Courrier",
    "task.registered_letter": "Lettre recommandée",
    "task.formal_notice": "Mise en demeure",
    "task.litigation": "Contentieux",
    "task.update_contact": "Mettre à jour le contact",
    "channel.email": "e-mail",
    "channel.call": "appel",
    "channel.letter": "courrier",
    "channel.registered_letter": "lettre recommandée",
    "channel.formal_notice": "mise en demeure",
    "channel.litigation": "contentieux",
    "action.step": "Étape de relance",
    "action.task_outcome": "Résultat de tâche",
    "history.run": "Relance automatique",
    "score.late_probability": "de risque de payer en retard",
    "score.rising": "En hausse",
    "score.falling": "En baisse",
    "score.steady": "Stable",
    "score.change": "{change} depuis le {since}",
    "score.scored_on": "Calculé le {date} par le modèle {version}.",
    "method.bank_transfer": "virement",
    "method.direct_debit": "prélèvement",
    "method.card": "carte",
    "method.cheque": "chèque",
    "method.other": "autre",
    "result.queued": "en file d’attente",
    "result.pending": "en attente d’envoi",
    "result.sent": "envoyé",
    "result.failed": "échec",
    "result.task_created": "tâche créée",
    "panel.loading": "Chargement…",
    "panel.unavailable": "Pas encore disponible sur ce serveur.",
    "panel.empty": "Rien à afficher.",
    "panel.error": "Chargement impossible : {message}",
  },
};

/** The languages the page speaks. */
export const LANGUAGES = Object.keys(MESSAGES);

const LANGUAGE_KEY = "relance.language";

/** The language chosen earlier in this browser, else the browser's own. */
export function preferredLanguage() {
  const chosen = localStorage.getItem(LANGUAGE_KEY);
  if (LANGUAGES.includes(chosen)) return chosen;
  const browser = (navigator.languages ?? [navigator.language]).find((tag) =>
    LANGUAGES.includes(tag.slice(0, 2).toLowerCase()),
  );
  return browser ? browser.slice(0, 2).toLowerCase() : "en";
}

/** Remembers the reader's language for the next visit. */
export function rememberLanguage(language) {
  localStorage.setItem(LANGUAGE_KEY, language);
}

/** The browser's locale when it is in `language`, else that language's usual one. */
function localeFor(language) {
  const browser = (navigator.languages ?? [navigator.language]).find((tag) =>
    tag.toLowerCase().startsWith(language),
  );
  return browser ?? (language === "fr" ? "fr-FR" : "en-GB");
}

/** Sentences and formats in one language. */
export class Locale {
  constructor(language) {
    this.language = LANGUAGES.includes(language) ? language : "en";
    this.tag = localeFor(this.language);
    this.messages = MESSAGES[this.language];
    this.moneyFormats = new Map();
    this.dayFormat = new Intl.NumberFormat(this.tag, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
    this.percentFormat = new Intl.NumberFormat(this.tag, { style: "percent", maximumFractionDigits: 1 });
    this.dateFormat = new Intl.DateTimeFormat(this.tag, { dateStyle: "medium", timeZone: "UTC" });
    this.shortDateFormat = new Intl.DateTimeFormat(this.tag, { day: "numeric", month: "short", timeZone: "UTC" });
    this.monthFormat = new Intl.DateTimeFormat(this.tag, { month: "short", year: "numeric", timeZone: "UTC" });
    this.instantFormat = new Intl.DateTimeFormat(this.tag, { dateStyle: "medium", timeStyle: "short" });
  }

  /** The sentence `key`, with `{name}` placeholders filled from `values`. */
  t(key, values = {}) {
    const text = this.messages[key] ?? MESSAGES.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  /** The name of `value` among `kind`'s words, or `value` itself when it has none. */
  label(kind, value) {
    return this.messages[`${kind}.${value}`] ?? MESSAGES.en[`${kind}.${value}`] ?? value;
  }

  /** An amount given as a decimal string, formatted exactly (no float rounding). */
  money(amount, currency) {
    if (amount === undefined || amount === null) return "–";
    const code = currency ?? "EUR";
    if (!this.moneyFormats.has(code)) {
      this.moneyFormats.set(code, new Intl.NumberFormat(this.tag, { style: "currency", currency: code }));
    }
    return this.moneyFormats.get(code).format(String(amount));
  }

  /** An amount for a chart's axis: whole units, no cents. */
  wholeMoney(value, currency) {
    const code = currency ?? "EUR";
    const key = `${code}:whole`;
    if (!this.moneyFormats.has(key)) {
      this.moneyFormats.set(
        key,
        new Intl.NumberFormat(this.tag, { style: "currency", currency: code, maximumFractionDigits: 0, notation: "compact" }),
      );
    }
    return this.moneyFormats.get(key).format(value);
  }

  /** A change of probability (−1 to 1) in percentage points, with its sign. */
  signedPoints(change) {
    return new Intl.NumberFormat(this.tag, { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" }).format(change);
  }

  /** A whole number, grouped as the locale groups digits. */
  integer(value) {
    return new Intl.NumberFormat(this.tag, { maximumFractionDigits: 0 }).format(value);
  }

  /** A number of days, with one decimal, as the KPI API rounds them. */
  days(value) {
    if (value === undefined || value === null) return "–";
    return this.t("unit.days", { days: this.dayFormat.format(value) });
  }

  /** A ratio between 0 and 1 as a percentage. */
  percent(ratio) {
    if (ratio === undefined || ratio === null) return "–";
    return this.percentFormat.format(ratio);
  }

  /** A `YYYY-MM-DD` day. */
  date(day) {
    return day ? this.dateFormat.format(utcDay(day)) : "–";
  }

  /** A `YYYY-MM-DD` day, without its year. */
  shortDate(day) {
    return day ? this.shortDateFormat.format(utcDay(day)) : "–";
  }

  /** The month a `YYYY-MM` or `YYYY-MM-DD` value falls in. */
  month(value) {
    return value ? this.monthFormat.format(utcDay(value.length === 7 ? `${value}-01` : value)) : "–";
  }

  /** An RFC 3339 instant, in the reader's time zone. */
  instant(value) {
    return value ? this.instantFormat.format(new Date(value)) : "–";
  }
}

function utcDay(day) {
  return new Date(`${day.slice(0, 10)}T00:00:00Z`);
}
