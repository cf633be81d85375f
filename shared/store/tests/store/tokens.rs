//! API tokens: only hashes are stored; revoked tokens stop working.

use relance_api::{Principal, Role, Scope};
use relance_store::tokens::{authenticate, create_token, list_tokens, revoke, token_hash};
use relance_store::{Database, StoreError, Value};

use crate::support::{at, database};

const ENTROPY: [u8; 32] = [0xa5; 32];

#[test]
fn token_secret_is_never_stored() {
    let db = database();

    let (_, secret) = create_token(
        &db,
        "CRM sync",
        Role::Manager,
        &Scope::Everything,
        &ENTROPY,
        at("2026-03-01T09:00:00Z"),
    )
    .expect("create");

    assert!(secret.starts_with("rl_"), "{secret}");
    let rows = db.execute("SELECT * FROM api_tokens", &[]).expect("tokens");
    for value in &rows.rows[0] {
        if let Value::Text(text) = value {
            assert!(
                !text.contains(&secret[3..]),
                "secret stored in clear: {text}"
            );
        }
    }
    assert_eq!(
        rows.first().expect("row").text("token_hash").expect("hash"),
        token_hash(&secret)
    );
}

#[test]
fn secret_authenticates_its_principal_until_revoked() {
    let db = database();
    let scope = Scope::Owner("alice".into());
    let (id, secret) = create_token(
        &db,
        "Alice",
        Role::Sales,
        &scope,
        &ENTROPY,
        at("2026-03-01T09:00:00Z"),
    )
    .expect("create");

    let principal = authenticate(&db, &secret).expect("lookup");
    assert_eq!(
        principal,
        Some(Principal {
            token_id: id,
            role: Role::Sales,
            scope
        })
    );
    assert_eq!(authenticate(&db, "rl_00").expect("lookup"), None);
    assert_eq!(authenticate(&db, &secret[3..]).expect("lookup"), None);

    assert!(revoke(&db, id, at("2026-03-02T09:00:00Z")).expect("revoke"));
    assert!(!revoke(&db, id, at("2026-03-02T09:00:00Z")).expect("revoke again"));
    assert_eq!(authenticate(&db, &secret).expect("lookup"), None);
    assert!(list_tokens(&db).expect("list")[0].revoked_at.is_some());
}

#[test]
fn token_scope_must_suit_its_role() {
    let db = database();
    let cases = [
        (Role::Sales, Scope::Everything),
        (Role::Sales, Scope::Collector("bruno".into())),
        (Role::Collector, Scope::Owner("alice".into())),
        (Role::Viewer, Scope::Owner("alice".into())),
    ];

    for (role, scope) in cases {
        let error = create_token(&db, "x", role, &scope, &ENTROPY, at("2026-03-01T09:00:00Z"))
            .expect_err("mismatch");
        assert!(
            matches!(error, StoreError::InvalidScope { .. }),
            "{role} {scope:?}: {error}"
        );
    }
}
