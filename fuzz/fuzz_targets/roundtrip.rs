//! The closed round trip, as assertions: whatever the reader accepts is written without error,
//! the writing is accepted again (well-formed, every prefix declared: the reader refuses
//! anything else), and it reads back equal.
#![no_main]

use ews_types::Element;
use ews_types::runtime::{read_envelope, write_envelope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(env) = read_envelope::<Element>(text) else {
        return;
    };
    let written = write_envelope(&env).unwrap_or_else(|e| panic!("accepted but not writable: {e}"));
    let back = read_envelope::<Element>(&written)
        .unwrap_or_else(|e| panic!("written but not readable: {e}\n{written}"));
    assert!(back == env, "read back differently:\n{written}");
});
