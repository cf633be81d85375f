//! The files of the page, compiled into the component: which file answers a
//! path, its content type, and an entity tag computed at build time so a
//! browser revalidates cheaply and never keeps a stale script.

/// Where the page is served.
pub const PAGE_ROOT: &str = "/dashboard/";

/// Where its files are served.
const ASSET_ROOT: &str = "/dashboard/assets/";

/// The page loads only its own scripts and styles and talks only to this
/// app; SVG charts are drawn in the page, so nothing else is ever needed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One file of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The file's name under `/dashboard/assets/`, or `index.html`.
    pub name: &'static str,
    /// Its `content-type`.
    pub content_type: &'static str,
    /// Its content.
    pub bytes: &'static [u8],
    /// FNV-1a of the content, computed by the compiler.
    fingerprint: u64,
}

const fn asset(name: &'static str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
    Asset {
        name,
        content_type,
        bytes,
        fingerprint: fnv1a(bytes),
    }
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// The page every view's address answers with.
const PAGE: Asset = asset(
    "index.html",
    "text/html; charset=utf-8",
    include_bytes!("../web/index.html"),
);

/// The files under `/dashboard/assets/`.
const FILES: &[Asset] = &[
    asset("app.js", JAVASCRIPT, include_bytes!("../web/app.js")),
    asset("api.js", JAVASCRIPT, include_bytes!("../web/api.js")),
    asset("charts.js", JAVASCRIPT, include_bytes!("../web/charts.js")),
    asset("dom.js", JAVASCRIPT, include_bytes!("../web/dom.js")),
    asset("i18n.js", JAVASCRIPT, include_bytes!("../web/i18n.js")),
    asset("views.js", JAVASCRIPT, include_bytes!("../web/views.js")),
    asset(
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../web/app.css"),
    ),
    asset(
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../web/icon.svg"),
    ),
];

impl Asset {
    /// The file a path names; any other path under `/dashboard/` is a view
    /// of the page, which the page's own script draws from the address.
    pub fn for_path(path: &str) -> Asset {
        path.strip_prefix(ASSET_ROOT)
            .and_then(|name| FILES.iter().find(|file| file.name == name))
            .copied()
            .unwrap_or(PAGE)
    }

    /// The strong entity tag of the content, quoted as HTTP writes it.
    pub fn etag(&self) -> String {
        format!("\"{:016x}\"", self.fingerprint)
    }

    /// True when an `If-None-Match` header names this content (or `*`).
    pub fn matches_etag(&self, if_none_match: &str) -> bool {
        let etag = self.etag();
        if_none_match
            .split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == "*" || tag == etag)
    }
}

/// The 64-bit FNV-1a hash, written so the compiler can run it.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut index = 0;
    while index < bytes.len() {
        hash ^= bytes[index] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        index += 1;
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_the_page_answer_with_the_right_file() {
        // (path, file served, content type starts with)
        let table = [
            ("/dashboard/", "index.html", "text/html"),
            ("/dashboard/customers/12", "index.html", "text/html"),
            ("/dashboard/assets/app.js", "app.js", "text/javascript"),
            ("/dashboard/assets/app.css", "app.css", "text/css"),
            ("/dashboard/assets/icon.svg", "icon.svg", "image/svg+xml"),
            ("/dashboard/assets/missing.js", "index.html", "text/html"),
            ("/dashboard/assets/../app.js", "index.html", "text/html"),
        ];

        for (path, name, content_type) in table {
            let asset = Asset::for_path(path);
            assert_eq!(asset.name, name, "{path}");
            assert!(asset.content_type.starts_with(content_type), "{path}");
        }
    }

    /// The names after each `marker` up to the closing quote.
    fn references<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
        text.split(marker)
            .skip(1)
            .filter_map(|rest| rest.split(['"', '\'']).next())
            .collect()
    }

    #[test]
    fn every_file_the_page_refers_to_is_served() {
        let mut sources = vec![PAGE];
        sources.extend(FILES.iter().filter(|file| file.name.ends_with(".js")));

        let mut checked = 0;
        for source in sources {
            let text = std::str::from_utf8(source.bytes).expect("utf-8 source");
            let imports = references(text, "from \"./");
            let links = references(text, ASSET_ROOT);
            for name in imports.into_iter().chain(links) {
                let path = format!("{ASSET_ROOT}{name}");
                assert_eq!(
                    Asset::for_path(&path).name,
                    name,
                    "{} refers to {name}",
                    source.name
                );
                checked += 1;
            }
        }
        assert!(checked >= FILES.len(), "only {checked} references found");
    }

    #[test]
    fn an_etag_names_the_content_and_revalidation_accepts_lists_and_weak_tags() {
        let script = Asset::for_path("/dashboard/assets/app.js");
        let style = Asset::for_path("/dashboard/assets/app.css");
        let etag = script.etag();

        assert_ne!(etag, style.etag());
        assert!(script.matches_etag(&etag));
        assert!(script.matches_etag(&format!("\"other\", W/{etag}")));
        assert!(script.matches_etag("*"));
        assert!(!script.matches_etag(&style.etag()));
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        let table = [
            (&b""[..], 0xcbf2_9ce4_8422_2325),
            (&b"a"[..], 0xaf63_dc4c_8601_ec8c),
            (&b"foobar"[..], 0x8594_4171_f739_67e8),
        ];

        for (input, expected) in table {
            assert_eq!(fnv1a(input), expected, "{input:?}");
        }
    }
}
