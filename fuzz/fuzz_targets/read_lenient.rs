//! The lenient reader (what the client uses on answers): any input is read or refused with an
//! error, never a panic, a hang or unbounded memory.
#![no_main]

use ews_types::Element;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ews_types::runtime::read_envelope::<Element>(text);
    }
});
