//! Property test (ews-reliability.md (b) 34): any user strings — markup characters, `]]>`,
//! emoji, CR/LF and other whitespace — survive serialize → parse unchanged, and the output is
//! well-formed XML 1.0.

use ews_types::runtime::{FromXml, ToXml, XmlNs, XmlReader, XmlWriter};
use ews_types::{m, t};
use proptest::prelude::*;

/// Characters XML 1.0 allows, weighted towards the troublesome ones.
fn xml_string() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '<',
        '>',
        '&',
        '"',
        '\'',
        ']',
        '\r',
        '\n',
        '\t',
        ' ',
        '😀',
        'é',
        '\u{FFFD}',
        '\u{10FFFF}',
    ]);
    let any = any::<char>().prop_filter("XML 1.0 Char", |c| {
        matches!(*c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    });
    prop::collection::vec(prop_oneof![special, any], 0..40).prop_map(|v| v.into_iter().collect())
}

fn create_item(subject: String, body: String, id: String, email: String) -> m::CreateItem {
    let message = t::Message {
        subject: Some(subject.into()),
        body: Some(Box::new(t::Body::new(t::BodyType::Text, body))),
        item_id: Some(Box::new(t::ItemId::new(id))),
        to_recipients: Some(Box::new(t::ArrayOfRecipients {
            content: vec![t::ArrayOfRecipientsChoice::Mailbox(
                t::EmailAddressType::default().with_email_address(email),
            )],
        })),
        ..Default::default()
    };
    m::CreateItem::new(t::NonEmptyArrayOfAllItems::new(
        t::NonEmptyArrayOfAllItemsChoice::Message(Box::new(message)),
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn user_strings_round_trip(subject in xml_string(), body in xml_string(), id in xml_string(), email in xml_string()) {
        let item = create_item(subject, body, id, email);
        let mut w = XmlWriter::new();
        item.to_xml(&mut w, XmlNs::Messages, "CreateItem").unwrap();
        let xml = w.into_string();
        prop_assert!(!xml.contains("]]>"), "no CDATA terminator in text: {}", xml);
        // Well-formed: quick-xml reads it to the end without error.
        let mut check = quick_xml::Reader::from_str(&xml);
        loop {
            match check.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => prop_assert!(false, "not well-formed: {e}: {xml}"),
            }
        }
        let mut r = XmlReader::new(&xml);
        let root = r.root().unwrap();
        let back = m::CreateItem::from_xml(&mut r, root).unwrap();
        prop_assert_eq!(back, item);
    }
}
