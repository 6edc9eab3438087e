//! The strict reader (what ews-testserver uses on requests, as Exchange validates them).
#![no_main]

use ews_types::Element;
use ews_types::runtime::{ReaderConfig, read_envelope_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = read_envelope_with::<Element>(text, ReaderConfig::strict());
    }
});
