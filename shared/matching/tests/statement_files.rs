//! Creditor references read from real bank statement files: found where the
//! bank carries one, and not invented from transaction codes such as the
//! MT940 `NTRF` that happen to contain `RF` and two digits.

use std::fs;
use std::path::Path;

use relance_matching::find_creditor_references;

const STATEMENTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/bank-statements"
);

fn statement_files() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for format in ["camt052", "camt053", "camt054", "mt940", "ofx"] {
        let folder = Path::new(STATEMENTS).join(format);
        for entry in fs::read_dir(&folder).expect("statement fixtures are present") {
            let path = entry.expect("readable folder").path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn only_the_real_creditor_reference_is_found_across_every_statement_file() {
    let files = statement_files();
    let mut found = Vec::new();

    for path in &files {
        let bytes = fs::read(path).expect("readable fixture");
        let text = String::from_utf8_lossy(&bytes);
        for reference in find_creditor_references(&text) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            found.push((name, reference.as_str().to_owned()));
        }
    }

    assert!(
        files.len() >= 30,
        "only {} statement files found",
        files.len()
    );
    assert_eq!(
        found,
        [(
            "camt_parser_053_valid_example_v8.xml".to_owned(),
            "RF38000000000000000000552".to_owned()
        )]
    );
}
