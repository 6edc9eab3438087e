//! Reading never expands entities or DTDs, limits depth, matches namespaces by URI and skips
//! unknown elements; writing escapes every string and rejects characters XML 1.0 forbids.

use ews_types::runtime::{FromXml, ToXml, XmlNs, XmlReader, XmlWriter};
use ews_types::{m, t};

const NS: &str = r#"xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types""#;

fn read<T: FromXml>(xml: &str) -> Result<T, String> {
    let mut r = XmlReader::new(xml);
    let root = r.root().map_err(|e| e.to_string())?;
    let v = T::from_xml(&mut r, root).map_err(|e| e.to_string())?;
    r.finish().map_err(|e| e.to_string())?;
    Ok(v)
}

#[test]
fn doctype_and_entities_are_refused() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><t:ItemId xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" Id="&lol2;"/>"#;
    let e = read::<t::ItemId>(laughs).unwrap_err();
    assert!(e.contains("DOCTYPE"), "{e}");
    let xxe = format!(r#"<t:Mailbox {NS}><t:EmailAddress>&xxe;</t:EmailAddress></t:Mailbox>"#);
    let e = read::<t::EmailAddressType>(&xxe).unwrap_err();
    assert!(e.contains("unknown entity"), "{e}");
    let nul = format!(r#"<t:Mailbox {NS}><t:Name>&#0;</t:Name></t:Mailbox>"#);
    assert!(read::<t::EmailAddressType>(&nul).is_err());
}

#[test]
fn deep_nesting_is_a_clean_error() {
    let mut xml = format!("<t:Restriction {NS}>");
    for _ in 0..100_000 {
        xml.push_str("<t:Not>");
    }
    let e = read::<t::Restriction>(&xml).unwrap_err();
    assert!(e.contains("deeper than"), "{e}");
}

#[test]
fn namespaces_match_by_uri_not_prefix() {
    let xml = r#"<x:ItemId xmlns:x="http://schemas.microsoft.com/exchange/services/2006/types" Id="A" ChangeKey="B"/>"#;
    let id = read::<t::ItemId>(xml).unwrap();
    assert_eq!((id.id.as_str(), id.change_key.as_deref()), ("A", Some("B")));
    // default namespace, unknown element and attribute skipped
    let xml = r#"<Mailbox xmlns="http://schemas.microsoft.com/exchange/services/2006/types" New="1"><Name>N</Name><NewThing><Deep/></NewThing><EmailAddress>a@x.com</EmailAddress></Mailbox>"#;
    let mbx = read::<t::EmailAddressType>(xml).unwrap();
    assert_eq!(mbx.email_address.as_deref(), Some("a@x.com"));
    assert_eq!(mbx.name.as_deref(), Some("N"));
    // right local names in a wrong namespace are not EWS fields
    let xml = r#"<t:Mailbox xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:z="urn:other"><z:EmailAddress>evil@x.com</z:EmailAddress></t:Mailbox>"#;
    assert_eq!(
        read::<t::EmailAddressType>(xml).unwrap().email_address,
        None
    );
}

#[test]
fn duplicates_and_trailing_junk_are_errors() {
    let xml = format!(r#"<t:Mailbox {NS}><t:Name>a</t:Name><t:Name>b</t:Name></t:Mailbox>"#);
    assert!(
        read::<t::EmailAddressType>(&xml)
            .unwrap_err()
            .contains("more than once")
    );
    let xml = format!(r#"<t:Mailbox {NS}/><junk/>"#);
    assert!(read::<t::EmailAddressType>(&xml).is_err());
}

#[test]
fn hostile_strings_are_escaped_and_forbidden_chars_rejected() {
    let hostile = r#"a<b&c"]]><t:SID>S-1-5-18</t:SID>@x.com"#;
    let mbx = t::EmailAddressType {
        email_address: Some(hostile.into()),
        ..Default::default()
    };
    let mut w = XmlWriter::new();
    mbx.to_xml(&mut w, XmlNs::Types, "Mailbox").unwrap();
    let xml = w.into_string();
    assert!(xml.contains("a&lt;b&amp;c\"]]&gt;&lt;t:SID&gt;"), "{xml}");
    assert!(!xml.contains("<t:SID>"));
    let back = read::<t::EmailAddressType>(&xml).unwrap();
    assert_eq!(back.email_address.as_deref(), Some(hostile));

    for bad in ["nul\0", "bell\u{7}", "\u{FFFE}"] {
        let mbx = t::EmailAddressType {
            name: Some(bad.into()),
            ..Default::default()
        };
        let mut w = XmlWriter::new();
        assert!(
            mbx.to_xml(&mut w, XmlNs::Types, "Mailbox").is_err(),
            "{bad:?}"
        );
    }
    // CR survives a round trip
    let mbx = t::EmailAddressType {
        name: Some("a\r\nb".into()),
        ..Default::default()
    };
    let mut w = XmlWriter::new();
    mbx.to_xml(&mut w, XmlNs::Types, "Mailbox").unwrap();
    assert_eq!(
        read::<t::EmailAddressType>(&w.into_string())
            .unwrap()
            .name
            .as_deref(),
        Some("a\r\nb")
    );
}

#[test]
fn open_enums_keep_unknown_values_and_closed_ones_reject_them() {
    use ews_types::runtime::XmlValue;
    let code = m::ResponseCode::from_text("ErrorSomethingNew2027").unwrap();
    assert_eq!(code, m::ResponseCode::Other("ErrorSomethingNew2027".into()));
    assert_eq!(code.to_text(), "ErrorSomethingNew2027");
    assert_eq!(
        m::ResponseCode::from_text("ErrorServerBusy").unwrap(),
        m::ResponseCode::ErrorServerBusy
    );
    assert!(t::ResponseClass::from_text("Maybe").is_err());
    let days: Vec<t::DayOfWeek> = {
        let xml = format!(r#"<t:DaysOfWeek {NS}>Monday Wednesday</t:DaysOfWeek>"#);
        let mut r = XmlReader::new(&xml);
        let root = r.root().unwrap();
        r.read_list(root).unwrap()
    };
    assert_eq!(days, vec![t::DayOfWeek::Monday, t::DayOfWeek::Wednesday]);
}

#[test]
fn operations_carry_wsdl_facts() {
    use ews_types::headers::AcceptsExchangeImpersonation;
    use ews_types::runtime::Operation;
    fn impersonable<O: AcceptsExchangeImpersonation>() -> &'static str {
        O::SOAP_ACTION
    }
    assert_eq!(
        impersonable::<m::GetItem>(),
        "http://schemas.microsoft.com/exchange/services/2006/messages/GetItem"
    );
    assert_eq!(
        <m::CreateItem as Operation>::RESPONSE_ELEMENT,
        "CreateItemResponse"
    );
    assert_eq!(ews_types::OPERATIONS.len(), 123);
}

#[test]
fn xsi_type_picks_the_concrete_derived_type() {
    let xml = format!(
        r#"<m:ConvertIdResponseMessage {NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:AlternateId xsi:type="t:AlternateIdType" Format="EwsId" Id="AAMk" Mailbox="a@x.com"/></m:ConvertIdResponseMessage>"#
    );
    let msg: m::ConvertIdResponseMessage = read(&xml).unwrap();
    let Some(t::AlternateIdBaseDerived::AlternateId(id)) = msg.alternate_id.as_deref() else {
        panic!("{:?}", msg.alternate_id)
    };
    assert_eq!((id.id.as_str(), id.mailbox.as_str()), ("AAMk", "a@x.com"));
    let mut w = XmlWriter::new();
    msg.to_xml(&mut w, XmlNs::Messages, "ConvertIdResponseMessage")
        .unwrap();
    let out = w.into_string();
    assert!(out.contains(r#"xsi:type="t:AlternateIdType""#), "{out}");
    assert_eq!(read::<m::ConvertIdResponseMessage>(&out).unwrap(), msg);
    // without xsi:type the concrete type is unknown: an error, not a silent default
    let bare = xml.replace(r#" xsi:type="t:AlternateIdType""#, "");
    assert!(
        read::<m::ConvertIdResponseMessage>(&bare)
            .unwrap_err()
            .contains("xsi:type")
    );
}

#[test]
fn repeated_wildcard_in_a_choice_keeps_every_child() {
    let xml = format!(
        r#"<t:ConfigurationRequestDetails {NS}><a xmlns="urn:a">1</a><b xmlns="urn:b"/><t:C>3</t:C></t:ConfigurationRequestDetails>"#
    );
    let d: t::ConfigurationRequestDetails = read(&xml).unwrap();
    let t::ConfigurationRequestDetailsChoice::Any(all) = &d.content;
    let names: Vec<&str> = all.iter().map(|e| e.local.as_str()).collect();
    assert_eq!(names, ["a", "b", "C"]);
    let mut w = XmlWriter::new();
    d.to_xml(&mut w, XmlNs::Types, "ConfigurationRequestDetails")
        .unwrap();
    assert_eq!(
        read::<t::ConfigurationRequestDetails>(&w.into_string()).unwrap(),
        d
    );
}

/// What the reader hands out, the writer can write back: a character XML 1.0 forbids is
/// refused on reading, however it is written (reference or raw byte) and wherever it sits
/// (element text, attribute value, preserved `xs:any` content).
#[test]
fn characters_xml_forbids_are_refused_on_reading() {
    let subject = |s: &str| format!(r#"<t:Message {NS}><t:Subject>{s}</t:Subject></t:Message>"#);
    for bad in [
        "&#x1;",
        "\u{1}",
        "a&#xFFFE;",
        "&#xFFFF;",
        "\u{FFFF}",
        "&#x1F;x",
        "\u{B}",
    ] {
        let e = read::<t::Message>(&subject(bad)).unwrap_err();
        assert!(e.contains("not allowed in XML 1.0"), "{bad:?}: {e}");
    }
    let id = format!(r#"<t:ItemId {NS} Id="a&#x2;b"/>"#);
    let e = read::<t::ItemId>(&id).unwrap_err();
    assert!(e.contains("U+0002"), "{e}");
    // a raw byte too, and U+FFFF: attribute values without a reference take a shorter path
    for bad in ["a\u{2}b", "a\u{FFFF}"] {
        let id = format!(r#"<t:ItemId {NS} Id="{bad}"/>"#);
        assert!(read::<t::ItemId>(&id).is_err(), "{bad:?}");
    }
    // attribute values are normalized: whitespace to spaces, references resolved
    let id = format!("<t:ItemId {NS} Id=\"a\tb\nc\" ChangeKey=\"x&amp;y]\"/>");
    let id = read::<t::ItemId>(&id).unwrap();
    assert_eq!(
        (id.id.as_str(), id.change_key.as_deref()),
        ("a b c", Some("x&y]"))
    );
    let any = format!(
        r#"<m:ResponseMessage {NS} ResponseClass="Error"><m:MessageXml><x:Value xmlns:x="urn:x">&#x3;</x:Value></m:MessageXml></m:ResponseMessage>"#
    );
    assert!(read::<m::ResponseMessage>(&any).is_err());
    // what XML allows still reads, and round-trips
    let ok = read::<t::Message>(&subject("tab&#x9;nl&#xA;é&#x10000;")).unwrap();
    assert_eq!(ok.subject.as_deref(), Some("tab\tnl\né\u{10000}"));
    let mut w = XmlWriter::new();
    ok.to_xml(&mut w, XmlNs::Types, "Message").unwrap();
}

/// Two children in an `xs:choice` that allows one: the error names the second and the choice,
/// not a duplicate of an element that occurs once.
#[test]
fn a_second_choice_is_named_as_such() {
    let xml = format!(
        r#"<t:ConnectingSID {NS}><t:PrimarySmtpAddress>a@contoso.com</t:PrimarySmtpAddress><t:SmtpAddress>a@contoso.com</t:SmtpAddress></t:ConnectingSID>"#
    );
    let e = read::<t::ConnectingSID>(&xml).unwrap_err();
    assert!(
        e.contains("<t:SmtpAddress> is a second choice where only one of")
            && e.contains("PrimarySmtpAddress"),
        "{e}"
    );
    assert!(!e.contains("more than once"), "{e}");
}
