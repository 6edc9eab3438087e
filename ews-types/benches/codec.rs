//! Deserialize and serialize realistic EWS documents, next to a raw `quick_xml::NsReader` event
//! scan of the same bytes measured in the same run (the baseline for the ratios in
//! BENCHMARKS.md).
//!
//! The documents come from `../shared/bench/gen_docs.py --n 1000` (run by this bench):
//! a FindItem response with 1,000 calendar items, a GetItem response with 1,000 messages, and
//! a CreateItem request with 1,000 calendar items.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ews_types::Element;
use ews_types::runtime::{Envelope, read_envelope, write_envelope};
use quick_xml::events::Event;
use quick_xml::reader::NsReader;

fn documents() -> PathBuf {
    let out = std::env::temp_dir().join("ews-bench-docs-1000");
    if !out.join("getitem_messages_1000.xml").is_file() {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/bench/gen_docs.py"
        );
        let status = Command::new("python3")
            .args([script, "--n", "1000", "--out"])
            .arg(&out)
            .status()
            .expect("python3 runs gen_docs.py");
        assert!(status.success(), "gen_docs.py failed");
    }
    out
}

/// Every event of the document, namespaces resolved, nothing kept: the floor for any reader.
fn scan(xml: &str) -> usize {
    let mut r = NsReader::from_str(xml);
    let mut n = 0;
    loop {
        match r.read_resolved_event() {
            Ok((_, Event::Eof)) => return n,
            Ok((ns, ev)) => {
                black_box((&ns, &ev));
                n += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn bench(c: &mut Criterion) {
    let dir = documents();
    for (name, file) in [
        ("finditem_1000_calendar", "finditem_calendar_1000.xml"),
        ("getitem_1000_messages", "getitem_messages_1000.xml"),
    ] {
        let xml = std::fs::read_to_string(dir.join(file)).unwrap();
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(xml.len() as u64));
        g.sample_size(20);
        g.bench_function("nsreader_scan", |b| b.iter(|| scan(black_box(&xml))));
        g.bench_function("deserialize", |b| {
            b.iter(|| read_envelope::<Element>(black_box(&xml)).unwrap())
        });
        g.finish();
    }
    let xml = std::fs::read_to_string(dir.join("createitem_calendar_1000.xml")).unwrap();
    let env: Envelope<Element> = read_envelope(&xml).unwrap();
    let written = write_envelope(&env).unwrap();
    let mut g = c.benchmark_group("createitem_1000_calendar");
    g.throughput(Throughput::Bytes(written.len() as u64));
    g.sample_size(20);
    g.bench_function("nsreader_scan", |b| b.iter(|| scan(black_box(&written))));
    g.bench_function("serialize", |b| {
        b.iter(|| write_envelope(black_box(&env)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
