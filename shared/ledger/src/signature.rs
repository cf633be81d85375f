//! Webhook signatures in the `t=<unix>,v1=<hex>` scheme that Stripe uses for
//! `Stripe-Signature` and Relance uses for `X-Relance-Signature`: an
//! HMAC-SHA256 of `<t>.<raw body>`, several `v1` entries accepted while a
//! secret is rotated, and a tolerance on the timestamp against replays.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far, in seconds, a signature's timestamp may be from the clock.
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

/// Why a signed request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not a list of `key=value` pairs with a numeric `t`.
    #[error("signature header {header:?} is malformed: expected t=<unix seconds>,v1=<hex>")]
    MalformedHeader {
        /// The header as received.
        header: String,
    },

    /// The header carries no `v1` signature.
    #[error("signature header {header:?} has no v1 signature: sign with HMAC-SHA256 (v1)")]
    NoV1Signature {
        /// The header as received.
        header: String,
    },

    /// No `v1` signature matches the body and secret.
    #[error(
        "no v1 signature matches the body: sign \"<t>.<raw body>\" with the endpoint \
         secret and send the body unchanged"
    )]
    Mismatch,

    /// The timestamp is further from the clock than the tolerance.
    #[error(
        "signature timestamp {timestamp} is {distance} s from the server clock ({now}), \
         more than the {tolerance} s allowed: sign each request when sending it"
    )]
    OutsideTolerance {
        /// The signed timestamp.
        timestamp: i64,
        /// The server's clock.
        now: i64,
        /// The distance between the two, in seconds.
        distance: i64,
        /// The tolerance, in seconds.
        tolerance: i64,
    },
}

/// The parts of a signature header that matter: the timestamp and the `v1`
/// signatures. Other schemes (`v0`, future ones) are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// The signed timestamp, in Unix seconds.
    pub timestamp: i64,
    /// The `v1` signatures, as hex.
    pub v1_signatures: Vec<String>,
}

impl SignatureHeader {
    /// Reads `t=<unix>,v1=<hex>[,v1=<hex>...]`, ignoring other schemes.
    pub fn parse(header: &str) -> Result<SignatureHeader, SignatureError> {
        let malformed = || SignatureError::MalformedHeader {
            header: header.to_string(),
        };

        let mut timestamp = None;
        let mut v1_signatures = Vec::new();
        for element in header.split(',') {
            let (key, value) = element.trim().split_once('=').ok_or_else(malformed)?;
            match key {
                "t" => timestamp = Some(value.parse::<i64>().map_err(|_| malformed())?),
                "v1" => v1_signatures.push(value.to_string()),
                _ => {}
            }
        }

        let timestamp = timestamp.ok_or_else(malformed)?;
        if v1_signatures.is_empty() {
            return Err(SignatureError::NoV1Signature {
                header: header.to_string(),
            });
        }

        Ok(SignatureHeader {
            timestamp,
            v1_signatures,
        })
    }
}

/// Verifies a signature header against the raw body, with the default
/// tolerance of 300 s. `now` is the server clock in Unix seconds. Returns the
/// signed timestamp.
pub fn verify(header: &str, body: &[u8], secret: &[u8], now: i64) -> Result<i64, SignatureError> {
    verify_with_tolerance(header, body, secret, now, DEFAULT_TOLERANCE_SECONDS)
}

/// [`verify`] with an explicit tolerance, in seconds.
pub fn verify_with_tolerance(
    header: &str,
    body: &[u8],
    secret: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<i64, SignatureError> {
    let parsed = SignatureHeader::parse(header)?;

    let expected = signed_payload_mac(secret, parsed.timestamp, body);
    let matches = parsed.v1_signatures.iter().any(|signature| {
        hex::decode(signature).is_ok_and(|bytes| expected.clone().verify_slice(&bytes).is_ok())
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }

    let distance = now.abs_diff(parsed.timestamp);
    if distance > tolerance.unsigned_abs() {
        return Err(SignatureError::OutsideTolerance {
            timestamp: parsed.timestamp,
            now,
            distance: i64::try_from(distance).unwrap_or(i64::MAX),
            tolerance,
        });
    }

    Ok(parsed.timestamp)
}

/// The header value signing `body` at `timestamp`: `t=<timestamp>,v1=<hex>`.
/// What a sender of canonical events computes.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let signature = signed_payload_mac(secret, timestamp, body)
        .finalize()
        .into_bytes();
    format!("t={timestamp},v1={}", hex::encode(signature))
}

/// HMAC-SHA256 keyed with the secret, fed with `<timestamp>.<body>`.
fn signed_payload_mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .expect("HMAC-SHA256 accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const VECTORS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/stripe/signature_test_vectors.txt"
    ));

    /// One published vector: a secret, an exact body, a header, and the
    /// timestamp it was signed at.
    #[derive(Debug)]
    struct Vector {
        secret: String,
        body: String,
        header: String,
        timestamp: i64,
    }

    /// Reads both layouts of the vectors file: the `secret=`/`payload=`/
    /// `Stripe-Signature:` blocks, and the list of published vectors, where a
    /// body is followed by its `v1=` lines (each with its secret when there
    /// are several, which also makes a rotation header with all of them).
    fn vectors() -> Vec<Vector> {
        let mut vectors = Vec::new();
        let mut secret = String::new();
        let mut body = String::new();
        let mut shared_timestamp = 0;
        let mut rotation: Vec<(String, String)> = Vec::new();

        let mut flush_rotation = |rotation: &mut Vec<(String, String)>, body: &str, t: i64| {
            if rotation.len() > 1 {
                let signatures: Vec<String> =
                    rotation.iter().map(|(_, v1)| format!("v1={v1}")).collect();
                for (secret, _) in rotation.iter() {
                    vectors.push(Vector {
                        secret: secret.clone(),
                        body: body.to_string(),
                        header: format!("t={t},{}", signatures.join(",")),
                        timestamp: t,
                    });
                }
            }
            rotation.clear();
        };
        let mut singles = Vec::new();

        for line in VECTORS.lines() {
            let trimmed = line.trim();
            if let Some(rest) = trimmed.strip_prefix("secret='") {
                secret = rest.trim_end_matches('\'').to_string();
            } else if let Some(rest) = trimmed.strip_prefix("payload(JSON-escaped)='") {
                body = rest.trim_end_matches('\'').replace("\\n", "\n");
            } else if let Some(header) = trimmed.strip_prefix("Stripe-Signature: ") {
                let timestamp = SignatureHeader::parse(header).unwrap().timestamp;
                singles.push(Vector {
                    secret: secret.clone(),
                    body: body.clone(),
                    header: header.to_string(),
                    timestamp,
                });
            } else if let Some(rest) = trimmed.strip_prefix("t=").filter(|r| r.contains(" (")) {
                shared_timestamp = rest.split(' ').next().unwrap().parse().unwrap();
            } else if trimmed.starts_with("secret ") || trimmed.starts_with("body ") {
                flush_rotation(&mut rotation, &body, shared_timestamp);
                if let Some((named, rest)) = trimmed.split_once(", body ") {
                    secret = named.trim_start_matches("secret ").to_string();
                    body = rest.to_string();
                } else {
                    let rest = trimmed.trim_start_matches("body ");
                    body = rest.split(", TWO v1").next().unwrap().to_string();
                }
            } else if let Some(rest) = trimmed.strip_prefix("v1=") {
                let v1 = rest.split_whitespace().next().unwrap().to_string();
                let signer = rest
                    .split_once("(secret ")
                    .map(|(_, s)| s.trim_end_matches(')').to_string())
                    .unwrap_or_else(|| secret.clone());
                singles.push(Vector {
                    secret: signer.clone(),
                    body: body.clone(),
                    header: format!("t={shared_timestamp},v1={v1}"),
                    timestamp: shared_timestamp,
                });
                rotation.push((signer, v1));
            }
        }
        flush_rotation(&mut rotation, &body, shared_timestamp);

        vectors.extend(singles);
        vectors
    }

    #[test]
    fn every_published_vector_verifies() {
        let vectors = vectors();
        assert_eq!(vectors.len(), 9, "{vectors:#?}");

        for vector in &vectors {
            let verified = verify(
                &vector.header,
                vector.body.as_bytes(),
                vector.secret.as_bytes(),
                vector.timestamp,
            );
            assert_eq!(verified, Ok(vector.timestamp), "{vector:?}");
        }
    }

    #[test]
    fn signing_reproduces_every_published_single_signature() {
        for vector in vectors()
            .iter()
            .filter(|v| v.header.matches("v1=").count() == 1)
        {
            let header = sign(
                vector.secret.as_bytes(),
                vector.timestamp,
                vector.body.as_bytes(),
            );
            assert_eq!(header, vector.header);
        }
    }

    #[test]
    fn a_tampered_body_or_wrong_secret_is_a_mismatch() {
        for vector in vectors() {
            let tampered = format!("{} ", vector.body);
            let result = verify(
                &vector.header,
                tampered.as_bytes(),
                vector.secret.as_bytes(),
                vector.timestamp,
            );
            assert_eq!(result, Err(SignatureError::Mismatch));

            let result = verify(
                &vector.header,
                vector.body.as_bytes(),
                b"whsec_other",
                vector.timestamp,
            );
            assert_eq!(result, Err(SignatureError::Mismatch));
        }
    }

    #[test]
    fn timestamps_beyond_the_tolerance_are_refused_both_ways() {
        let header = sign(b"whsec_test_secret", 1_700_000_000, b"{}");
        let table = [
            (1_700_000_000, true),
            (1_700_000_300, true),
            (1_699_999_700, true),
            (1_700_000_301, false),
            (1_699_999_699, false),
        ];
        for (now, accepted) in table {
            let result = verify(&header, b"{}", b"whsec_test_secret", now);
            assert_eq!(result.is_ok(), accepted, "now = {now}");
            if !accepted {
                assert!(matches!(
                    result,
                    Err(SignatureError::OutsideTolerance { .. })
                ));
            }
        }
    }

    #[test]
    fn v0_and_unknown_schemes_are_ignored() {
        let header = sign(b"secret", 1_700_000_000, b"{}");
        let with_others = format!("{header},v0=deadbeef,v2=cafe");
        assert!(verify(&with_others, b"{}", b"secret", 1_700_000_000).is_ok());

        let only_v0 = "t=1700000000,v0=deadbeef";
        assert_eq!(
            verify(only_v0, b"{}", b"secret", 1_700_000_000),
            Err(SignatureError::NoV1Signature {
                header: only_v0.to_string()
            })
        );
    }

    #[test]
    fn malformed_headers_are_refused_quoting_the_header() {
        for header in [
            "",
            "v1=abcd",
            "t=soon,v1=abcd",
            "t=1700000000,v1abcd",
            "garbage",
        ] {
            let error = verify(header, b"{}", b"secret", 1_700_000_000).unwrap_err();
            assert_eq!(
                error,
                SignatureError::MalformedHeader {
                    header: header.to_string()
                },
                "{header}"
            );
        }
    }

    #[test]
    fn a_signature_that_is_not_hex_does_not_match() {
        let result = verify("t=1700000000,v1=not-hex", b"{}", b"secret", 1_700_000_000);
        assert_eq!(result, Err(SignatureError::Mismatch));
    }
}
