-- Dunning: policies, runs, the steps sent, tasks, templates, the outbox and the action history.
-- Statements are separated by a semicolon at the end of a line.
--
-- Other parts of Relance read these tables directly (collector KPIs read
-- `dunning_tasks` and `dunning_actions`; scoring counts the reminders an
-- invoice needed through `dunning_action_invoices`), so they stay plain:
-- one row per fact, amounts as exact decimal text with their currency,
-- dates 'YYYY-MM-DD', instants fixed-width UTC RFC 3339 text.

-- A dunning policy: its ordered steps and late-interest terms, as the JSON
-- document the API accepts (`definition`). The code `default` applies to
-- every customer no assignment names; until it is stored, Relance's
-- built-in default policy applies.
CREATE TABLE dunning_policies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER
);

-- Which policy chases whom: a customer (takes precedence) or a whole
-- segment (`customers.segment`). A customer or segment has one policy.
CREATE TABLE dunning_policy_assignments (
    id INTEGER PRIMARY KEY,
    policy_code TEXT NOT NULL REFERENCES dunning_policies (code) ON DELETE CASCADE,
    customer_id INTEGER UNIQUE REFERENCES customers (id) ON DELETE CASCADE,
    segment TEXT UNIQUE,
    CHECK ((customer_id IS NULL) <> (segment IS NULL))
);

CREATE INDEX dunning_policy_assignments_by_policy ON dunning_policy_assignments (policy_code);

-- Message templates edited by the team, per template name and language;
-- a template not stored here is Relance's built-in text.
CREATE TABLE dunning_templates (
    template TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER,
    PRIMARY KEY (template, language)
);

-- The company that chases: what messages and letters are signed with.
CREATE TABLE dunning_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    company_name TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    sender_email TEXT NOT NULL,
    reply_to TEXT,
    signature TEXT NOT NULL,
    postal_address TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The ECB main refinancing rate in force on 1 January or 1 July (percent
-- a year). French law (Code de commerce L441-10) adds 10 points for late
-- interest. A new half-year's rate is added through the API; until then
-- the latest known rate applies.
CREATE TABLE late_interest_reference_rates (
    half_year_start TEXT PRIMARY KEY CHECK (substr(half_year_start, 6) IN ('01-01', '07-01')),
    rate TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

INSERT INTO late_interest_reference_rates (half_year_start, rate, updated_at) VALUES
    ('2014-01-01', '0.25', '2014-01-01T00:00:00.000000Z'),
    ('2014-07-01', '0.15', '2014-07-01T00:00:00.000000Z'),
    ('2015-01-01', '0.05', '2015-01-01T00:00:00.000000Z'),
    ('2015-07-01', '0.05', '2015-07-01T00:00:00.000000Z'),
    ('2016-01-01', '0.05', '2016-01-01T00:00:00.000000Z'),
    ('2016-07-01', '0.00', '2016-07-01T00:00:00.000000Z'),
    ('2017-01-01', '0.00', '2017-01-01T00:00:00.000000Z'),
    ('2017-07-01', '0.00', '2017-07-01T00:00:00.000000Z'),
    ('2018-01-01', '0.00', '2018-01-01T00:00:00.000000Z'),
    ('2018-07-01', '0.00', '2018-07-01T00:00:00.000000Z'),
    ('2019-01-01', '0.00', '2019-01-01T00:00:00.000000Z'),
    ('2019-07-01', '0.00', '2019-07-01T00:00:00.000000Z'),
    ('2020-01-01', '0.00', '2020-01-01T00:00:00.000000Z'),
    ('2020-07-01', '0.00', '2020-07-01T00:00:00.000000Z'),
    ('2021-01-01', '0.00', '2021-01-01T00:00:00.000000Z'),
    ('2021-07-01', '0.00', '2021-07-01T00:00:00.000000Z'),
    ('2022-01-01', '0.00', '2022-01-01T00:00:00.000000Z'),
    ('2022-07-01', '0.00', '2022-07-01T00:00:00.000000Z'),
    ('2023-01-01', '2.50', '2023-01-01T00:00:00.000000Z'),
    ('2023-07-01', '4.00', '2023-07-01T00:00:00.000000Z'),
    ('2024-01-01', '4.50', '2024-01-01T00:00:00.000000Z'),
    ('2024-07-01', '4.25', '2024-07-01T00:00:00.000000Z'),
    ('2025-01-01', '3.15', '2025-01-01T00:00:00.000000Z'),
    ('2025-07-01', '2.15', '2025-07-01T00:00:00.000000Z'),
    ('2026-01-01', '2.15', '2026-01-01T00:00:00.000000Z');

-- One dunning run: the day it judged (`as_of`) and what it did.
CREATE TABLE dunning_runs (
    id INTEGER PRIMARY KEY,
    as_of TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    invoices_considered INTEGER NOT NULL DEFAULT 0,
    steps_taken INTEGER NOT NULL DEFAULT 0,
    messages INTEGER NOT NULL DEFAULT 0,
    tasks INTEGER NOT NULL DEFAULT 0
);

-- The history of dunning: every step taken for a customer (`kind` 'step',
-- by the run: a message, a letter or a task), and every outcome a person
-- recorded on a task (`kind` 'task_outcome'). Who (`actor`: 'dunning-run'
-- or 'token:<id>'), when (`created_at`, judged on `as_of`), what (`step_key`,
-- `channel`), the result (`result`, `detail`), and the customer's collector
-- at the time. A step is recorded here before anything is sent; its
-- `idempotency_key` (customer, step, invoice set) makes it unique.
CREATE TABLE dunning_actions (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('step', 'task_outcome')),
    run_id INTEGER REFERENCES dunning_runs (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    policy_code TEXT,
    step_key TEXT,
    offset_days INTEGER,
    channel TEXT CHECK (channel IN
        ('email', 'call', 'letter', 'registered_letter', 'formal_notice', 'litigation')),
    as_of TEXT NOT NULL,
    collector TEXT,
    actor TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN
        ('queued', 'kept_locally', 'sent', 'failed', 'to_print', 'task_created',
         'reached', 'promise_to_pay', 'dispute', 'wrong_contact', 'posted', 'done')),
    detail TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX dunning_actions_by_customer ON dunning_actions (customer_id, created_at);
CREATE INDEX dunning_actions_by_collector ON dunning_actions (collector, created_at);

-- The invoices a step or outcome concerned, with what remained, how late
-- they were and the late interest stated, at the time.
CREATE TABLE dunning_action_invoices (
    action_id INTEGER NOT NULL REFERENCES dunning_actions (id) ON DELETE CASCADE,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    currency TEXT NOT NULL,
    remaining TEXT NOT NULL,
    days_late INTEGER NOT NULL,
    late_interest TEXT NOT NULL,
    PRIMARY KEY (action_id, invoice_id)
);

CREATE INDEX dunning_action_invoices_by_invoice ON dunning_action_invoices (invoice_id);

-- How far dunning went on each invoice: the last step taken. Earlier steps
-- passed over for it (several due at once) are named in the step's
-- `dunning_actions.detail`. A step is due only when its offset is beyond
-- `offset_days`.
CREATE TABLE dunning_invoice_states (
    invoice_id INTEGER PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
    policy_code TEXT NOT NULL,
    step_key TEXT NOT NULL,
    offset_days INTEGER NOT NULL,
    action_id INTEGER NOT NULL REFERENCES dunning_actions (id),
    taken_on TEXT NOT NULL
);

-- Every message, stored before it is sent. Emails go `pending` →
-- `sending` → `sent`, or `retrying` (5xx, time-out; `next_attempt_at`)
-- and `failed` (4xx, or retries exhausted); `kept_locally` when no email
-- provider is configured. Letters are `to_print`, then `printed`. The
-- `idempotency_key` is sent to the provider with the message, so a send
-- repeated after a crash is recognised as the same message.
CREATE TABLE dunning_outbox (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL UNIQUE REFERENCES dunning_actions (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    channel TEXT NOT NULL CHECK (channel IN
        ('email', 'letter', 'registered_letter', 'formal_notice')),
    idempotency_key TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,
    recipient_name TEXT,
    recipient_email TEXT,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('pending', 'sending', 'retrying', 'sent', 'failed', 'kept_locally', 'to_print',
         'printed')),
    provider TEXT,
    provider_message_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    claimed_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    updated_at TEXT NOT NULL
);

CREATE INDEX dunning_outbox_by_status ON dunning_outbox (status, next_attempt_at);
CREATE INDEX dunning_outbox_by_customer ON dunning_outbox (customer_id, id);

-- Manual work for a person: calls, letters to post, litigation hand-overs,
-- contacts to correct. `collector` is who it is assigned to (the customer's
-- collector when the task was made); `outcome` and the promise fields are
-- what the person recorded when closing it.
CREATE TABLE dunning_tasks (
    id INTEGER PRIMARY KEY,
    action_id INTEGER REFERENCES dunning_actions (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL CHECK (kind IN
        ('call', 'letter', 'registered_letter', 'formal_notice', 'litigation',
         'update_contact')),
    collector TEXT,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'done')),
    outcome TEXT CHECK (outcome IN
        ('reached', 'promise_to_pay', 'dispute', 'wrong_contact', 'posted', 'done')),
    note TEXT,
    promise_date TEXT,
    promise_amount TEXT,
    promise_currency TEXT,
    dispute_reason TEXT,
    outbox_id INTEGER REFERENCES dunning_outbox (id),
    created_at TEXT NOT NULL,
    done_at TEXT,
    done_by INTEGER
);

CREATE INDEX dunning_tasks_by_collector ON dunning_tasks (collector, status, due_on);
CREATE INDEX dunning_tasks_by_customer ON dunning_tasks (customer_id);

-- The invoices a task is about.
CREATE TABLE dunning_task_invoices (
    task_id INTEGER NOT NULL REFERENCES dunning_tasks (id) ON DELETE CASCADE,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    PRIMARY KEY (task_id, invoice_id)
);

CREATE INDEX dunning_task_invoices_by_invoice ON dunning_task_invoices (invoice_id);
