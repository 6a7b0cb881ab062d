//! What the tests over the real export share.

use std::path::{Path, PathBuf};

/// The real export in `../shared/fixtures/export/`, or `None` when it is absent and
/// `CHATKEEP_SKIP_REAL` says to skip (absent otherwise is a failure: the test would pass
/// without testing anything).
pub fn real_export() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/export/chatgpt-export-2026-01.zip");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CHATKEEP_SKIP_REAL").is_some(),
        "the real export fixture is missing at {} (set CHATKEEP_SKIP_REAL=1 to skip)",
        path.display()
    );
    None
}
