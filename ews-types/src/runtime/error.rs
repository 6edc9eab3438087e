//! Errors of reading and writing XML.

/// A value that does not parse as its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} value {value:?}")]
pub struct ValueError {
    /// The expected type, e.g. `xs:dateTime` or `ResponseClassType`.
    pub kind: &'static str,
    /// The text, cut to 80 characters.
    pub value: String,
}

impl ValueError {
    /// A new error for `value` that is not a valid `kind`.
    pub fn new(kind: &'static str, value: &str) -> Self {
        let value = if value.chars().count() > 80 {
            value.chars().take(80).chain("…".chars()).collect()
        } else {
            value.to_owned()
        };
        ValueError { kind, value }
    }
}

/// An error while reading XML, with the byte position where it was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at byte {position}: {kind}")]
pub struct DeError {
    /// Byte offset into the document.
    pub position: u64,
    /// What went wrong.
    pub kind: DeErrorKind,
}

/// What went wrong while reading.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DeErrorKind {
    /// The document is not well-formed XML (or uses an entity we never expand).
    #[error("malformed XML: {0}")]
    Syntax(String),
    /// The document contains a DOCTYPE, which EWS never sends.
    #[error("DOCTYPE is not allowed")]
    DocType,
    /// Elements nest deeper than the limit.
    #[error("elements nest deeper than {0} levels")]
    TooDeep(usize),
    /// A required element is missing.
    #[error("<{parent}> lacks required element <{child}>")]
    MissingElement {
        /// The parent element.
        parent: String,
        /// The missing child.
        child: &'static str,
    },
    /// A required attribute is missing.
    #[error("<{element}> lacks required attribute {attribute}")]
    MissingAttribute {
        /// The element.
        element: String,
        /// The attribute.
        attribute: &'static str,
    },
    /// An element that may occur once occurs twice.
    #[error("<{0}> occurs more than once")]
    Duplicate(String),
    /// A second element where a choice allows one (`ConnectingSID` with two children).
    #[error("<{element}> is a second choice where only one of {choices} may occur")]
    SecondChoice {
        /// The second element.
        element: String,
        /// The choice's alternatives.
        choices: &'static str,
    },
    /// An element in a text-only element.
    #[error("unexpected element <{0}> inside a text value")]
    UnexpectedElement(String),
    /// A value that does not parse.
    #[error("<{element}>: {source}")]
    Value {
        /// Element or attribute holding it.
        element: String,
        /// The parse error.
        source: ValueError,
    },
    /// The document ended early.
    #[error("unexpected end of document")]
    Eof,
    /// A value breaks a facet of its type (strict reading only).
    #[error("<{element}>: {violation}")]
    Facet {
        /// Element or attribute holding it.
        element: String,
        /// Which facet, and how.
        violation: String,
    },
    /// An element the content model has no place for, here or in this order (strict reading).
    #[error("element <{element}> is not expected here; expected {expected}")]
    NotExpected {
        /// The element as written.
        element: String,
        /// What the schema allows at this point.
        expected: String,
    },
    /// Fewer occurrences of a repeated element than the schema's `minOccurs` (strict reading).
    #[error("<{parent}> needs at least {min} <{child}>, found {found}")]
    TooFew {
        /// The parent element.
        parent: String,
        /// The repeated child.
        child: String,
        /// `minOccurs`.
        min: usize,
        /// How many there were.
        found: usize,
    },
    /// Text where the schema allows only elements (strict reading).
    #[error("text is not allowed in element-only content")]
    UnexpectedText,
    /// An attribute the element's type does not declare (strict reading).
    #[error("<{element}> has undeclared attribute {attribute}")]
    UnexpectedAttribute {
        /// The element.
        element: String,
        /// The attribute as written.
        attribute: String,
    },
    /// Something other than the expected element.
    #[error("expected {expected}, found <{found}>")]
    Unexpected {
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
}

/// An error while writing XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SerError {
    /// A string holds a character XML 1.0 forbids (NUL, most C0 controls, U+FFFE, U+FFFF).
    #[error("<{element}> holds character U+{code:04X}, which XML 1.0 forbids")]
    InvalidChar {
        /// Element or attribute being written.
        element: String,
        /// The code point.
        code: u32,
    },
}
