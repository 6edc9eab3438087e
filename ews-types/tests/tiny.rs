//! The golden bindings of our tiny schema (`xsd/tiny`), compiled here and round-tripped: one
//! test per construct the code generator handles.

#[allow(
    missing_docs,
    dead_code,
    clippy::all,
    unused_variables,
    unused_mut,
    unreachable_patterns
)]
mod tiny {
    include!("golden/tiny.rs");
}

use ews_types::runtime::{
    AnyElement, Base64Binary, DateTime, Duration, FromXml, Operation, ToXml, XmlNs, XmlReader,
    XmlValue, XmlWriter,
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
        body: Some(t::Body {
            body_type: t::Color::ItemSubject,
            value: "hi".into(),
        }),
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
