//! The golden bindings of our tiny schema (`xsd/tiny`), compiled here and round-tripped: one
//! test per construct the code generator handles.

#[allow(
    missing_docs,
    dead_code,
    clippy::all,
    unused_variables,
    unused_mut,
    unused_assignments,
    unreachable_patterns
)]
mod tiny {
    include!("golden/tiny.rs");
}

use ews_types::runtime::{
    AnyElement, Base64Binary, DateTime, DeError, DeErrorKind, Duration, FromXml, Operation,
    ReaderConfig, ToXml, XmlNs, XmlReader, XmlValue, XmlWriter,
};
use tiny::{m, t};

const NS: &str = r#"xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages""#;

fn read<T: FromXml>(xml: &str) -> T {
    let mut r = XmlReader::new(xml);
    let root = r.root().unwrap();
    T::from_xml(&mut r, root).unwrap()
}

fn write<T: ToXml>(v: &T, ns: XmlNs, local: &str) -> String {
    let mut w = XmlWriter::new();
    v.to_xml(&mut w, ns, local).unwrap();
    w.into_string()
}

fn round_trip<T: FromXml + ToXml + PartialEq + std::fmt::Debug>(v: &T, local: &str) -> String {
    let xml = write(v, XmlNs::Types, local);
    assert_eq!(&read::<T>(&xml), v, "{xml}");
    xml
}

#[test]
fn extension_inherits_fields_and_typed_values_round_trip() {
    let cal = t::CalendarItem {
        subject: Some("Planning <Q3> & \"more\"".into()),
        start: Some(DateTime::from_text("2024-05-01T09:00:00+02:00").unwrap()),
        body: Some(Box::new(t::Body {
            body_type: t::Color::ItemSubject,
            value: "hi".into(),
        })),
        duration: Some(Duration::from_minutes(90)),
        colors: Some(vec![t::Color::Red, t::Color::ItemSubject]),
        data: Some(Base64Binary(vec![0, 1, 2, 255])),
        lang: Some("en-US".into()),
    };
    let xml = round_trip(&cal, "CalendarItem");
    assert!(xml.contains(r#"xml:lang="en-US""#), "{xml}");
    assert!(
        xml.contains("<t:Colors>Red item:Subject</t:Colors>"),
        "{xml}"
    );
    assert!(xml.contains("<t:Duration>PT1H30M</t:Duration>"), "{xml}");
    assert!(xml.contains("<t:Data>AAEC/w==</t:Data>"), "{xml}");
    // elements in schema order: inherited ones first
    let (s, d) = (
        xml.find("<t:Subject>").unwrap(),
        xml.find("<t:Duration>").unwrap(),
    );
    assert!(s < d);
}

#[test]
fn choice_reads_each_alternative_in_order() {
    let xml = format!(
        "<t:Items {NS}><t:CalendarItem><t:Subject>a</t:Subject><t:Duration>PT1H</t:Duration></t:CalendarItem><t:Item><t:Subject>b</t:Subject></t:Item></t:Items>"
    );
    let items: t::ArrayOfItems = read(&xml);
    match items.content.as_slice() {
        [
            t::ArrayOfItemsChoice::CalendarItem(c),
            t::ArrayOfItemsChoice::Item(i),
        ] => {
            assert_eq!(c.subject.as_deref(), Some("a"));
            assert_eq!(
                c.duration.and_then(|d| d.to_std()),
                Some(std::time::Duration::from_secs(3600))
            );
            assert_eq!(i.subject.as_deref(), Some("b"));
        }
        other => panic!("{other:?}"),
    }
    round_trip(&items, "Items");
}

#[test]
fn substitution_group_and_recursion() {
    let xml = format!(
        r#"<t:Not {NS}><t:FieldURI FieldURI="a"/><t:Not><t:FieldURI FieldURI="b"/></t:Not></t:Not>"#
    );
    let not: t::Not = read(&xml);
    let t::Path::FieldURI(p) = &not.path;
    assert_eq!(p.field_uri, "a");
    let inner = not.not.as_deref().unwrap();
    let t::Path::FieldURI(q) = &inner.path;
    assert_eq!(q.field_uri, "b");
    round_trip(&not, "Not");
    // a required substitution-group member missing is an error naming the parent
    let mut r = XmlReader::new(
        r#"<t:Not xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"/>"#,
    );
    let root = r.root().unwrap();
    let e = t::Not::from_xml(&mut r, root).unwrap_err().to_string();
    assert!(e.contains("lacks required element"), "{e}");
}

#[test]
fn any_content_is_kept() {
    let xml = format!(
        r#"<t:MessageXml {NS}><t:Value Name="BackOffMilliseconds">297749</t:Value><x:Other xmlns:x="urn:x" a="1">text</x:Other></t:MessageXml>"#
    );
    let mx: t::MessageXml = read(&xml);
    assert_eq!(mx.any.len(), 2);
    assert_eq!(mx.any[0].attribute("Name"), Some("BackOffMilliseconds"));
    assert_eq!(mx.any[1].ns_uri, "urn:x");
    let again: t::MessageXml = read(&write(&mx, XmlNs::Types, "MessageXml"));
    assert_eq!(again, mx);
    let _: &AnyElement = &again.any[1];
}

#[test]
fn operation_and_header_marker_come_from_the_wsdl() {
    fn accepts_not<O: tiny::headers::AcceptsNot>() -> &'static str {
        O::SOAP_ACTION
    }
    assert_eq!(accepts_not::<m::GetThing>(), "urn:GetThing");
    assert_eq!(
        <m::GetThing as Operation>::RESPONSE_ELEMENT,
        "GetThingResponse"
    );
    let resp: m::GetThingResponse = read(&format!(
        "<m:GetThingResponse {NS}><m:Count>3</m:Count><m:Done>1</m:Done></m:GetThingResponse>"
    ));
    assert_eq!((resp.count, resp.done), (3, Some(true)));
    let e = {
        let xml = format!("<m:GetThingResponse {NS}><m:Count>x</m:Count></m:GetThingResponse>");
        let mut r = XmlReader::new(&xml);
        let root = r.root().unwrap();
        m::GetThingResponse::from_xml(&mut r, root)
            .unwrap_err()
            .to_string()
    };
    assert!(e.contains("xs:int") && e.contains("m:Count"), "{e}");
}

#[test]
fn abstract_type_is_read_through_xsi_type() {
    let xml = format!(
        r#"<t:Holder {NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><t:Id xsi:type="t:LongIdType" Format="x" Id="42"/></t:Holder>"#
    );
    let h: t::Holder = read(&xml);
    let t::BaseIdDerived::LongId(id) = &h.id;
    assert_eq!((id.format.as_str(), id.id.as_str()), ("x", "42"));
    let out = round_trip(&h, "Holder");
    assert!(out.contains(r#"xsi:type="t:LongIdType""#), "{out}");
}

fn read_strict<T: FromXml>(xml: &str) -> Result<T, DeError> {
    let mut r = XmlReader::with_config(xml, ReaderConfig::strict());
    let root = r.root()?;
    T::from_xml(&mut r, root)
}

/// The byte offset of the `n`th (from 1) occurrence of `needle`, where an error should point.
fn offset(xml: &str, needle: &str, n: usize) -> u64 {
    xml.match_indices(needle).nth(n - 1).expect(needle).0 as u64
}

#[test]
fn strict_reading_checks_facets_where_lenient_reading_does_not() {
    let labels = |tag: &str, code: &str, label: &str, percent: &str| {
        format!(
            r#"<t:Labels {NS} Tag="{tag}"><t:Code>{code}</t:Code><t:Label>{label}</t:Label><t:Percent>{percent}</t:Percent></t:Labels>"#
        )
    };
    let fine = labels("0x1F", "AB", "one", "100");
    let v: t::Labels = read_strict(&fine).unwrap();
    assert_eq!((v.code.as_str(), v.percent), ("AB", Some(100)));
    // the second pattern of the same step is an alternative; `$` is a literal in XSD
    assert!(read_strict::<t::Labels>(&labels("12", "x$", "one", "0")).is_ok());
    for (xml, at, what) in [
        (
            labels("0x1F", "ABC", "one", "1"),
            "<t:Code>",
            "does not match the pattern",
        ),
        (labels("0x1F", "AB", "", "1"), "<t:Label>", "shorter than 1"),
        (
            labels("0x1F", "AB", "one", "101"),
            "<t:Percent>",
            "outside 0..=100",
        ),
        (
            labels("70000", "AB", "one", "1"),
            "<t:Labels",
            "none of the union",
        ),
        (
            labels("0x1FFFF", "AB", "one", "1"),
            "<t:Labels",
            "none of the union",
        ),
    ] {
        let e = read_strict::<t::Labels>(&xml).unwrap_err();
        assert!(matches!(e.kind, DeErrorKind::Facet { .. }), "{e}");
        assert_eq!(e.position, offset(&xml, at, 1), "{e}");
        assert!(e.to_string().contains(what), "{e}");
        // a lenient reader takes the same document
        let _: t::Labels = read(&xml);
    }
}

#[test]
fn strict_reading_checks_order_unknown_nodes_and_min_occurs() {
    let ok = format!(
        r#"<t:Labels {NS}><t:Code>AB</t:Code><t:Label>a</t:Label><t:Label>b</t:Label></t:Labels>"#
    );
    assert_eq!(
        read_strict::<t::Labels>(&ok).unwrap().label.as_slice(),
        ["a", "b"]
    );
    let cases = [
        // a required element skipped: reported at the element that came instead
        (
            format!(r#"<t:Labels {NS}><t:Label>a</t:Label><t:Code>AB</t:Code></t:Labels>"#),
            ("<t:Label>", 1),
            "expected <Code> first",
        ),
        // an element before one already read
        (
            format!(
                r#"<t:Labels {NS}><t:Code>AB</t:Code><t:Label>a</t:Label><t:Percent>1</t:Percent><t:Label>b</t:Label></t:Labels>"#
            ),
            ("<t:Label>", 2),
            "schema order",
        ),
        (
            format!(
                r#"<t:Labels {NS}><t:Code>AB</t:Code><t:Label>a</t:Label><t:Bogus/></t:Labels>"#
            ),
            ("<t:Bogus", 1),
            "no element <Bogus>",
        ),
        (
            format!(
                r#"<t:Labels {NS} Colour="red"><t:Code>AB</t:Code><t:Label>a</t:Label></t:Labels>"#
            ),
            ("<t:Labels", 1),
            "undeclared attribute Colour",
        ),
        (
            format!(r#"<t:Labels {NS}><t:Code>AB</t:Code>stray<t:Label>a</t:Label></t:Labels>"#),
            ("stray", 1),
            "text is not allowed",
        ),
        (
            format!(r#"<t:Labels {NS}><t:Code>AB</t:Code></t:Labels>"#),
            ("<t:Labels", 1),
            "needs at least 1 <Label>, found 0",
        ),
    ];
    for (xml, (needle, n), what) in cases {
        let e = read_strict::<t::Labels>(&xml).unwrap_err();
        assert_eq!(e.position, offset(&xml, needle, n), "{e}: {xml}");
        assert!(e.to_string().contains(what), "{e}");
    }
    // attributes of namespaces the schema leaves open are fine
    let open = format!(
        r#"<t:Labels {NS} xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:mustUnderstand="1"><t:Code>AB</t:Code><t:Label>a</t:Label></t:Labels>"#
    );
    assert!(read_strict::<t::Labels>(&open).is_ok());
}

#[test]
fn strict_reading_leaves_xs_all_unordered_and_repeated_choices_interleaved() {
    let all = format!(r#"<t:AnyOrder {NS}><t:B>2</t:B><t:A>1</t:A></t:AnyOrder>"#);
    let v: t::AnyOrder = read_strict(&all).unwrap();
    assert_eq!((v.a.as_deref(), v.b.as_deref()), (Some("1"), Some("2")));
    let items = format!(
        r#"<t:Items {NS}><t:CalendarItem/><t:Item><t:Subject>s</t:Subject></t:Item><t:CalendarItem/></t:Items>"#
    );
    let v: t::ArrayOfItems = read_strict(&items).unwrap();
    assert_eq!(v.content.len(), 3);
    // inside each item, order still counts: Start before Subject is out of order
    let bad = format!(
        r#"<t:Items {NS}><t:Item><t:Start>2024-01-01T00:00:00Z</t:Start><t:Subject>s</t:Subject></t:Item></t:Items>"#
    );
    let e = read_strict::<t::ArrayOfItems>(&bad).unwrap_err();
    assert_eq!(e.position, offset(&bad, "<t:Subject>", 1), "{e}");
}
