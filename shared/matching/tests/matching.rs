//! The matcher end to end: payments as banks deliver them against a small
//! ledger, checking the decision, the allocations and the explanation.

use chrono::NaiveDate;
use relance_matching::{
    Allocation, Decision, Evidence, MatchProposal, Matcher, MatchingError, MatchingPolicy,
    OpenItem, OpenItemKind, PayerDirectory, Payment,
};
use rust_decimal::Decimal;

const MARTIN_IBAN: &str = "FR7630006000011234567890189";
const LEROY_IBAN: &str = "DE89370400440532013000";

fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, month, day).expect("valid date")
}

fn eur(text: &str) -> Decimal {
    text.parse().expect("amount")
}

fn invoice(id: &str, number: &str, customer: &str, remaining: &str, due: NaiveDate) -> OpenItem {
    let name = match customer {
        "martin" => "Boulangerie Martin SARL",
        "leroy" => "Garage Leroy SAS",
        _ => "Laboratoire Dubois",
    };
    OpenItem {
        invoice_id: id.into(),
        number: number.into(),
        customer_id: customer.into(),
        customer_name: name.into(),
        issue_date: due - chrono::Duration::days(30),
        due_date: due,
        currency: "EUR".into(),
        remaining: eur(remaining),
        payment_reference: None,
        kind: OpenItemKind::Invoice,
    }
}

fn credit_note(id: &str, number: &str, customer: &str, remaining: &str, credits: &str) -> OpenItem {
    OpenItem {
        kind: OpenItemKind::CreditNote {
            credits_invoice: Some(credits.into()),
        },
        ..invoice(id, number, customer, remaining, day(3, 15))
    }
}

fn payment(amount: &str, remittance: &str) -> Payment {
    Payment {
        id: "tx_1".into(),
        booking_date: day(4, 2),
        amount: eur(amount),
        currency: "EUR".into(),
        counterparty_name: None,
        counterparty_iban: None,
        end_to_end_id: None,
        remittance_lines: if remittance.is_empty() {
            Vec::new()
        } else {
            vec![remittance.into()]
        },
        structured_references: Vec::new(),
    }
}

fn from_martin(mut payment: Payment) -> Payment {
    payment.counterparty_iban = Some(MARTIN_IBAN.into());
    payment.counterparty_name = Some("BOULANGERIE MARTIN".into());
    payment
}

fn ledger() -> Vec<OpenItem> {
    vec![
        invoice("inv_123", "F2025-000123", "martin", "1440.00", day(3, 31)),
        invoice("inv_124", "F2025-000124", "martin", "360.00", day(4, 15)),
        invoice("inv_130", "F2025-000130", "martin", "99.90", day(4, 30)),
        invoice("inv_200", "F2025-000200", "leroy", "1440.00", day(3, 20)),
        invoice("inv_201", "F2025-000201", "leroy", "575.25", day(4, 20)),
    ]
}

fn known_payers() -> PayerDirectory {
    let mut directory = PayerDirectory::new();
    directory.learn(Some(MARTIN_IBAN), None, "martin");
    directory.learn(Some(LEROY_IBAN), None, "leroy");
    directory
}

fn matcher(items: Vec<OpenItem>) -> Matcher {
    Matcher::new(items, known_payers(), MatchingPolicy::default()).expect("valid ledger")
}

fn allocated(proposal: &MatchProposal) -> Vec<(&str, Decimal)> {
    proposal
        .allocations
        .iter()
        .map(|a| (a.invoice_id.as_str(), a.amount))
        .collect()
}

fn applied(decision: &Decision) -> &MatchProposal {
    match decision {
        Decision::AutoApply(proposal) => proposal,
        other => panic!("expected an automatic match, got {other:#?}"),
    }
}

fn reviewed(decision: &Decision) -> &[MatchProposal] {
    match decision {
        Decision::Review(candidates) => candidates,
        other => panic!("expected review, got {other:#?}"),
    }
}

#[test]
fn quoted_number_exact_amount_and_known_account_are_applied_with_an_explanation() {
    let matcher = matcher(ledger());

    let decision = matcher.propose(&from_martin(payment("1440.00", "FACTURE F2025-000123")));

    let proposal = applied(&decision);
    assert_eq!(allocated(proposal), [("inv_123", eur("1440.00"))]);
    assert_eq!(proposal.residual, Decimal::ZERO);
    assert!(proposal.confidence > 0.97, "{}", proposal.confidence);
    assert_eq!(
        proposal.explanation,
        "Remittance quotes invoice F2025-000123; payer IBAN is known for Boulangerie Martin SARL; \
         amount 1,440.00 equals its remaining amount"
    );
}

#[test]
fn invoice_numbers_written_with_noise_still_settle_the_invoice() {
    let matcher = matcher(ledger());

    // (remittance, invoices settled) — the payer is unknown, so the
    // reference and the amount must carry the match alone.
    let table: [(&str, &str, &[&str]); 8] = [
        ("F2025000123", "1440.00", &["inv_123"]),
        ("f2025-123", "1440.00", &["inv_123"]),
        ("PAIEMENT F2025 000123 MERCI", "1440.00", &["inv_123"]),
        ("Inv F2025/123", "1440.00", &["inv_123"]),
        (
            "FACT F2025-000123 ET F2025-000124",
            "1800.00",
            &["inv_123", "inv_124"],
        ),
        (
            "FACTURES F2025123, F2025124, F2025130",
            "1899.90",
            &["inv_123", "inv_124", "inv_130"],
        ),
        ("REGLEMENT F2025-000201", "575.25", &["inv_201"]),
        ("F2025-124 F2025-201", "935.25", &["inv_124", "inv_201"]),
    ];

    for (remittance, amount, expected) in table {
        let decision = matcher.propose(&payment(amount, remittance));
        let candidates: Vec<&MatchProposal> = match &decision {
            Decision::AutoApply(proposal) => vec![proposal],
            Decision::Review(candidates) => candidates.iter().collect(),
            Decision::NoMatch { reason } => panic!("{remittance}: no match: {reason}"),
        };
        let invoices: Vec<&str> = candidates
            .iter()
            .flat_map(|p| p.allocations.iter().map(|a| a.invoice_id.as_str()))
            .collect();
        assert_eq!(invoices, expected, "{remittance}");
    }
}

#[test]
fn numbers_of_two_customers_in_one_payment_go_to_review_per_customer() {
    let matcher = matcher(ledger());

    let decision = matcher.propose(&payment("935.25", "F2025-124 F2025-201"));

    let candidates = reviewed(&decision);
    assert_eq!(candidates.len(), 2);
    assert!(candidates.iter().all(|c| c.allocations.len() == 1));
}

#[test]
fn creditor_references_structured_or_typed_designate_their_invoice() {
    let mut items = ledger();
    items[1].payment_reference = Some("RF18 5390 0754 7034".into());
    let matcher = matcher(items);

    let mut structured = payment("360.00", "");
    structured.structured_references = vec!["RF18539007547034".into()];
    let typed = payment("360.00", "VIREMENT rf18 5390 0754 7034");
    let mistyped = payment("360.00", "VIREMENT RF18 5390 0754 7035");

    for decision in [matcher.propose(&structured), matcher.propose(&typed)] {
        let proposal = applied(&decision);
        assert_eq!(allocated(proposal), [("inv_124", eur("360.00"))]);
        assert!(matches!(
            proposal.evidence[0],
            Evidence::CreditorReference { .. }
        ));
    }
    assert!(!matches!(
        matcher.propose(&mistyped),
        Decision::AutoApply(_)
    ));
}

#[test]
fn an_end_to_end_id_carrying_the_invoice_number_designates_it() {
    let matcher = matcher(ledger());
    let mut with_id = payment("575.25", "");
    with_id.end_to_end_id = Some("E2E-F2025-000201".into());
    let mut not_provided = payment("575.25", "");
    not_provided.end_to_end_id = Some("NOTPROVIDED".into());

    let proposal = applied(&matcher.propose(&with_id)).clone();

    assert_eq!(allocated(&proposal), [("inv_201", eur("575.25"))]);
    assert!(
        proposal
            .explanation
            .starts_with("End-to-end id E2E-F2025-000201 carries invoice F2025-000201")
    );
    assert!(!matches!(
        matcher.propose(&not_provided),
        Decision::AutoApply(_)
    ));
}

#[test]
fn partial_payments_keep_the_invoice_open_and_the_next_one_settles_it() {
    let mut matcher = matcher(ledger());

    let first = matcher.propose(&from_martin(payment("500.00", "F2025-000123 ACOMPTE 1/2")));
    let first = applied(&first).clone();
    matcher.apply(&first).expect("fits");
    let second = matcher.propose(&from_martin(payment("940.00", "F2025-000123 ACOMPTE 2/2")));
    let second = applied(&second).clone();

    assert_eq!(allocated(&first), [("inv_123", eur("500.00"))]);
    assert_eq!(first.residual, Decimal::ZERO);
    assert!(
        first.explanation.contains("940.00 stays open"),
        "{}",
        first.explanation
    );
    assert_eq!(allocated(&second), [("inv_123", eur("940.00"))]);
    matcher.apply(&second).expect("fits");
    assert_eq!(matcher.remaining("inv_123"), Some(Decimal::ZERO));
}

#[test]
fn bank_fees_and_exchange_differences_within_tolerance_are_reported_as_residual() {
    let matcher = matcher(ledger());

    // (amount paid for F2025-000123 of 1,440.00, residual, settles in full)
    let table = [
        ("1439.70", Some("-0.30")),
        ("1433.00", Some("-7.00")),
        ("1445.00", Some("5.00")),
        ("1425.00", None),
    ];

    for (amount, residual) in table {
        let decision = matcher.propose(&payment(amount, "F2025-000123"));
        let proposal = decision.best().expect("a candidate");
        match residual {
            Some(residual) => {
                assert_eq!(proposal.residual, eur(residual), "{amount}");
                assert!(
                    proposal.explanation.contains("write-off candidate"),
                    "{amount}"
                );
                assert!(matches!(decision, Decision::AutoApply(_)), "{amount}");
            }
            None => {
                assert_eq!(proposal.residual, Decimal::ZERO, "{amount}");
                assert!(
                    proposal.explanation.contains("15.00 stays open"),
                    "{}",
                    proposal.explanation
                );
            }
        }
        assert!(proposal.allocated() <= eur(amount), "{amount}");
    }
}

#[test]
fn an_overpayment_leaves_the_excess_unallocated_and_asks_a_person() {
    let matcher = matcher(ledger());

    let decision = matcher.propose(&payment("1500.00", "F2025-000123"));

    let candidates = reviewed(&decision);
    assert_eq!(allocated(&candidates[0]), [("inv_123", eur("1440.00"))]);
    assert_eq!(candidates[0].residual, eur("60.00"));
    assert!(candidates[0].explanation.contains("60.00 left unallocated"));
}

#[test]
fn a_known_account_paying_the_only_invoice_of_that_amount_is_applied() {
    let matcher = matcher(ledger());

    let decision = matcher.propose(&from_martin(payment("360.00", "")));

    let proposal = applied(&decision);
    assert_eq!(allocated(proposal), [("inv_124", eur("360.00"))]);
    assert!(
        proposal
            .explanation
            .contains("only open invoice of Boulangerie Martin SARL")
    );
}

#[test]
fn two_open_invoices_of_the_same_amount_without_reference_go_to_review_oldest_first() {
    let mut items = ledger();
    items.push(invoice(
        "inv_140",
        "F2025-000140",
        "martin",
        "360.00",
        day(4, 25),
    ));
    let matcher = matcher(items);

    let decision = matcher.propose(&from_martin(payment("360.00", "VIREMENT")));

    let candidates = reviewed(&decision);
    let first_choices: Vec<&str> = candidates
        .iter()
        .map(|c| c.allocations[0].invoice_id.as_str())
        .collect();
    assert_eq!(first_choices, ["inv_124", "inv_140"]);
}

#[test]
fn one_payment_for_three_invoices_is_found_by_their_sum_and_applied_only_when_exact() {
    let mut items = ledger();
    items.push(invoice(
        "inv_150",
        "F2025-000150",
        "martin",
        "250.10",
        day(4, 28),
    ));
    let matcher = matcher(items);

    // 360.00 + 99.90 + 250.10 = 710.00, and no other combination fits.
    let exact = matcher.propose(&from_martin(payment("710.00", "")));
    let with_fee = matcher.propose(&from_martin(payment("709.70", "")));

    let best = applied(&exact);
    assert_eq!(
        allocated(best),
        [
            ("inv_124", eur("360.00")),
            ("inv_150", eur("250.10")),
            ("inv_130", eur("99.90"))
        ]
    );
    assert!(best.evidence.contains(&Evidence::CombinationOfOpenItems {
        items: 3,
        unique: true,
        exact: true,
    }));
    let candidates = reviewed(&with_fee);
    assert_eq!(allocated(&candidates[0]).len(), 3);
    assert_eq!(candidates[0].residual, eur("-0.30"));
}

#[test]
fn a_combination_search_past_its_budget_gives_up_and_says_so() {
    let items: Vec<OpenItem> = (1..=40)
        .map(|n| {
            invoice(
                &format!("inv_{n}"),
                &format!("F2025-{n:06}"),
                "martin",
                &format!("{}.00", n * 2),
                day(3, 1),
            )
        })
        .collect();
    let policy = MatchingPolicy {
        amount_tolerance_abs: Decimal::ZERO,
        amount_tolerance_rel: Decimal::ZERO,
        subset_search_budget: 5_000,
        ..MatchingPolicy::default()
    };
    let matcher = Matcher::new(items, known_payers(), policy).expect("valid");

    let decision = matcher.propose(&from_martin(payment("301.00", "")));

    let Decision::NoMatch { reason } = decision else {
        panic!("expected no match: {decision:#?}")
    };
    assert!(reason.contains("search budget"), "{reason}");
}

#[test]
fn credit_notes_are_netted_off_the_invoice_they_credit() {
    let mut items = ledger();
    items.push(credit_note(
        "cn_9",
        "AV2025-000009",
        "martin",
        "-140.00",
        "inv_123",
    ));
    let matcher = matcher(items);

    let quoted = matcher.propose(&payment("1300.00", "F2025-000123 MOINS AVOIR"));
    let silent = matcher.propose(&from_martin(payment("1300.00", "")));

    let proposal = applied(&quoted);
    assert_eq!(
        allocated(proposal),
        [("inv_123", eur("1440.00")), ("cn_9", eur("-140.00"))]
    );
    assert_eq!(proposal.allocated(), eur("1300.00"));
    assert!(
        proposal
            .explanation
            .contains("credit note AV2025-000009 (-140.00) is netted")
    );
    let best = silent.best().expect("a candidate");
    assert_eq!(
        allocated(best),
        [("inv_123", eur("1440.00")), ("cn_9", eur("-140.00"))]
    );
}

#[test]
fn an_unknown_payer_with_no_reference_is_matched_on_amount_only_for_review() {
    let matcher = matcher(ledger());

    let unique = matcher.propose(&payment("575.25", "PAIEMENT FOURNISSEUR"));
    let shared = matcher.propose(&payment("1440.00", ""));
    let nothing = matcher.propose(&payment("12.34", ""));

    assert_eq!(
        allocated(&reviewed(&unique)[0]),
        [("inv_201", eur("575.25"))]
    );
    assert_eq!(reviewed(&shared).len(), 2);
    assert!(
        matches!(nothing, Decision::NoMatch { ref reason } if reason.contains("unknown payer"))
    );
}

#[test]
fn money_paid_out_or_in_another_currency_is_not_matched_to_invoices() {
    let matcher = matcher(ledger());
    let outgoing = payment("-1440.00", "F2025-000123");
    let mut dollars = payment("1440.00", "F2025-000123");
    dollars.currency = "USD".into();

    assert!(matches!(
        matcher.propose(&outgoing),
        Decision::NoMatch { .. }
    ));
    assert!(matches!(
        matcher.propose(&dollars),
        Decision::NoMatch { .. }
    ));
}

#[test]
fn a_payer_known_for_another_customer_casts_doubt_on_a_quoted_number() {
    let matcher = matcher(ledger());
    let mut from_leroy = payment("360.00", "F2025-000124");
    from_leroy.counterparty_iban = Some(LEROY_IBAN.into());

    let decision = matcher.propose(&from_leroy);

    let candidates = reviewed(&decision);
    assert!(
        candidates[0]
            .explanation
            .contains("known for Garage Leroy SAS, not this customer")
    );
}

#[test]
fn similar_payer_names_narrow_to_the_customer_but_ask_a_person() {
    let matcher =
        Matcher::new(ledger(), PayerDirectory::new(), MatchingPolicy::default()).expect("valid");
    let mut payment = payment("575.25", "");
    payment.counterparty_name = Some("GARAGE LEROI".into());

    let decision = matcher.propose(&payment);

    let best = &reviewed(&decision)[0];
    assert_eq!(allocated(best), [("inv_201", eur("575.25"))]);
    assert!(matches!(
        best.evidence[0],
        Evidence::PayerNameSimilar { .. }
    ));
}

#[test]
fn accepted_matches_teach_the_payer_account_for_next_time() {
    let mut matcher =
        Matcher::new(ledger(), PayerDirectory::new(), MatchingPolicy::default()).expect("valid");
    let mut first = payment("575.25", "");
    first.counterparty_iban = Some(LEROY_IBAN.into());

    let before = matcher.propose(&first);
    matcher.teach(&first, "leroy");
    let after = matcher.propose(&first);

    assert!(matches!(before, Decision::Review(_)));
    assert_eq!(allocated(applied(&after)), [("inv_201", eur("575.25"))]);
    assert_eq!(
        matcher.directory().customers_for_iban(LEROY_IBAN),
        ["leroy"]
    );
}

#[test]
fn stale_or_foreign_allocations_are_refused_and_change_nothing() {
    let mut matcher = matcher(ledger());
    let too_much = [
        Allocation {
            invoice_id: "inv_124".into(),
            number: "F2025-000124".into(),
            amount: eur("100.00"),
        },
        Allocation {
            invoice_id: "inv_130".into(),
            number: "F2025-000130".into(),
            amount: eur("100.00"),
        },
    ];
    let unknown = [Allocation {
        invoice_id: "inv_999".into(),
        number: "?".into(),
        amount: eur("1"),
    }];

    let exceeded = matcher
        .allocate(&too_much)
        .expect_err("99.90 left on inv_130");
    let missing = matcher.allocate(&unknown).expect_err("unknown");

    assert!(
        matches!(exceeded, MatchingError::AllocationExceedsRemaining { ref invoice_id, .. } if invoice_id == "inv_130")
    );
    assert!(matches!(missing, MatchingError::UnknownOpenItem { .. }));
    assert_eq!(matcher.remaining("inv_124"), Some(eur("360.00")));
}

#[test]
fn items_of_the_wrong_sign_or_listed_twice_are_refused() {
    let negative_invoice = vec![invoice("inv_1", "F1", "martin", "-5.00", day(3, 1))];
    let positive_credit = vec![credit_note("cn_1", "AV1", "martin", "5.00", "inv_1")];
    let twice = vec![
        invoice("inv_1", "F1", "martin", "5.00", day(3, 1)),
        invoice("inv_1", "F1", "martin", "5.00", day(3, 1)),
    ];

    for items in [negative_invoice, positive_credit, twice] {
        let error = Matcher::new(items, PayerDirectory::new(), MatchingPolicy::default())
            .expect_err("invalid");
        assert!(
            error.to_string().contains("inv_1") || error.to_string().contains("cn_1"),
            "{error}"
        );
    }
}

#[test]
fn an_equal_instalment_of_a_later_invoice_is_offered_before_the_oldest() {
    let mut items = ledger();
    items.push(invoice(
        "inv_160",
        "F2025-000160",
        "martin",
        "900.00",
        day(4, 5),
    ));
    let matcher = matcher(items);

    // 300.00 is a third of F2025-000160; the oldest invoice asks 1,440.00.
    let decision = matcher.propose(&from_martin(payment("300.00", "")));

    let best = &reviewed(&decision)[0];
    assert_eq!(allocated(best), [("inv_160", eur("300.00"))]);
    assert!(
        best.explanation
            .contains("one of 3 equal instalments of the 900.00 due"),
        "{}",
        best.explanation
    );
}

#[test]
fn invoices_issued_after_the_matcher_was_built_are_matched_too() {
    let mut matcher = matcher(ledger());
    let late = invoice("inv_170", "F2025-000170", "leroy", "88.00", day(4, 1));

    let before = matcher.propose(&payment("88.00", "F2025-000170"));
    matcher.insert(late).expect("a new invoice");
    let after = matcher.propose(&payment("88.00", "F2025-000170"));

    assert!(matches!(before, Decision::NoMatch { .. }));
    assert_eq!(allocated(applied(&after)), [("inv_170", eur("88.00"))]);
}
