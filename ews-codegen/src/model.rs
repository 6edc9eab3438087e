//! Our own intermediate representation of the schema.
//!
//! The schema reader ([`crate::schema`]) and the WSDL reader ([`crate::wsdl`]) produce a
//! [`Model`]; the emitter ([`crate::emit`]) sees nothing else, so emitter tests can build types by
//! hand. Every name in the model is already final: Rust identifiers come from [`crate::naming`].

/// The XML namespace a schema item lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ns {
    /// `http://schemas.microsoft.com/exchange/services/2006/types` (module `t`).
    Types,
    /// `http://schemas.microsoft.com/exchange/services/2006/messages` (module `m`).
    Messages,
    /// `http://www.w3.org/XML/1998/namespace` (the `xml:` prefix, attributes only).
    Xml,
    /// No namespace (unqualified attributes and locally declared elements).
    None,
}

impl Ns {
    /// The namespace URI.
    pub fn uri(self) -> &'static str {
        match self {
            Ns::Types => "http://schemas.microsoft.com/exchange/services/2006/types",
            Ns::Messages => "http://schemas.microsoft.com/exchange/services/2006/messages",
            Ns::Xml => "http://www.w3.org/XML/1998/namespace",
            Ns::None => "",
        }
    }

    /// Maps a namespace URI to an [`Ns`]; `None` for namespaces the bindings do not describe.
    pub fn from_uri(uri: &str) -> Option<Ns> {
        [Ns::Types, Ns::Messages, Ns::Xml, Ns::None]
            .into_iter()
            .find(|ns| ns.uri() == uri)
    }
}

/// An XML qualified name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QName {
    /// Namespace.
    pub ns: Ns,
    /// Local name.
    pub local: String,
}

/// Index of a [`TypeDef`] in [`Model::types`].
pub type TypeId = usize;

/// The whole schema, ready to emit.
#[derive(Debug, Default, Clone)]
pub struct Model {
    /// Every named and anonymous type that becomes a Rust item.
    pub types: Vec<TypeDef>,
    /// Every global element (`xs:element` at the top level of either XSD).
    pub elements: Vec<GlobalElement>,
    /// Every WSDL operation.
    pub operations: Vec<Operation>,
    /// Every distinct SOAP header element used by a WSDL binding, as accepted-header markers.
    pub headers: Vec<HeaderKind>,
    /// SHA-256 of the schema files, hex.
    pub schema_hash: String,
}

/// A Rust item to generate.
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// The XSD name (or a description of where an anonymous type sits).
    pub xsd_name: String,
    /// Module the item lives in.
    pub ns: Ns,
    /// Final Rust identifier.
    pub rust_name: String,
    /// Documentation from `xs:documentation`.
    pub doc: Vec<String>,
    /// What it is.
    pub kind: TypeKind,
    /// Constraining facets of a simple type ([`TypeKind::Alias`]), checked by strict readers.
    pub facets: Option<Facets>,
    /// The complex type this one extends or restricts (`CalendarItemType` → `ItemType`); its
    /// fields are flattened into this one's, and the emitter turns the chain into traits.
    pub base: Option<TypeId>,
}

/// Constraining facets of a simple type, as the runtime's `Facets` checks them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Fewest characters (`xs:minLength`, `xs:length`).
    pub min_length: Option<usize>,
    /// Most characters (`xs:maxLength`, `xs:length`).
    pub max_length: Option<usize>,
    /// Patterns the value must match, each one (alternatives of one step joined with `|`).
    pub patterns: Vec<String>,
    /// Smallest integer value, inclusive.
    pub min: Option<i64>,
    /// Largest integer value, inclusive.
    pub max: Option<i64>,
    /// Union members: the value must satisfy at least one.
    pub any_of: Vec<Facets>,
}

impl Facets {
    /// Whether these facets accept every value.
    pub fn is_empty(&self) -> bool {
        *self == Facets::default()
    }

    /// Both sets at once (a restriction of a restriction).
    pub fn and(mut self, base: &Facets) -> Facets {
        let tighter = |a: Option<i64>, b: Option<i64>, pick: fn(i64, i64) -> i64| match (a, b) {
            (Some(a), Some(b)) => Some(pick(a, b)),
            (a, b) => a.or(b),
        };
        let tighter_len =
            |a: Option<usize>, b: Option<usize>, pick: fn(usize, usize) -> usize| match (a, b) {
                (Some(a), Some(b)) => Some(pick(a, b)),
                (a, b) => a.or(b),
            };
        self.min_length = tighter_len(self.min_length, base.min_length, usize::max);
        self.max_length = tighter_len(self.max_length, base.max_length, usize::min);
        self.min = tighter(self.min, base.min, i64::max);
        self.max = tighter(self.max, base.max, i64::min);
        for p in &base.patterns {
            if !self.patterns.contains(p) {
                self.patterns.push(p.clone());
            }
        }
        if self.any_of.is_empty() {
            self.any_of = base.any_of.clone();
        }
        self
    }
}

/// The shapes a generated item can take.
#[derive(Debug, Clone)]
pub enum TypeKind {
    /// A complex type: attributes, then child elements (or text, for simple content).
    Struct(StructDef),
    /// An `xs:choice` or a substitution group: exactly one of several elements.
    Choice(ChoiceDef),
    /// An enumeration of string values.
    Enum(EnumDef),
    /// A simple type defined by restriction, list or union, as an alias of its value type.
    Alias(ValueType),
    /// One of the concrete types derived from an abstract complex type, chosen on the wire by
    /// `xsi:type` (e.g. `AlternateIdBaseType` → `AlternateIdType`, …).
    Derived(DerivedDef),
}

/// The concrete types derived from an abstract complex type.
#[derive(Debug, Clone, Default)]
pub struct DerivedDef {
    /// One variant per concrete derived type.
    pub variants: Vec<DerivedVariant>,
}

/// One concrete derived type.
#[derive(Debug, Clone)]
pub struct DerivedVariant {
    /// Rust variant name.
    pub rust_name: String,
    /// The type's XSD name, as `xsi:type` names it.
    pub xsi_type: QName,
    /// The struct.
    pub ty: TypeId,
}

/// A struct: attributes and content.
#[derive(Debug, Clone, Default)]
pub struct StructDef {
    /// Attributes, in schema order.
    pub attributes: Vec<Attribute>,
    /// Child elements and nested groups, in schema order.
    pub fields: Vec<Field>,
    /// Simple content (`xs:simpleContent`), read from the element's text.
    pub text: Option<ValueType>,
    /// True when this struct is a group of sibling elements (a sequence nested in a choice or
    /// repeated), read from the parent's children rather than from one element of its own.
    pub is_group: bool,
    /// True for `xs:all`: the fields may come in any order.
    pub unordered: bool,
}

/// An attribute.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// The attribute's name.
    pub name: QName,
    /// Rust field name.
    pub rust_name: String,
    /// Value type.
    pub ty: ValueType,
    /// `use="required"`.
    pub required: bool,
    /// Documentation.
    pub doc: Vec<String>,
}

/// How often a field may occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurs {
    /// Exactly once.
    Required,
    /// Zero or one time.
    Optional,
    /// Any number of times (or a bounded number above one).
    Many,
}

/// A field of a struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// Rust field name.
    pub rust_name: String,
    /// Occurrence.
    pub occurs: Occurs,
    /// `minOccurs` (0 for optional fields; checked by strict readers on repeated ones).
    pub min_occurs: usize,
    /// What the field holds.
    pub kind: FieldKind,
    /// Boxed to break a cycle of types that contain each other.
    pub boxed: bool,
    /// Documentation.
    pub doc: Vec<String>,
}

/// What a field holds.
#[derive(Debug, Clone)]
pub enum FieldKind {
    /// One named element of the given type.
    Element {
        /// The element's name.
        name: QName,
        /// Its type.
        ty: ValueType,
    },
    /// A group of sibling elements: a choice enum or a repeated sequence struct.
    Group(TypeId),
    /// `xs:any`: any element, kept as a tree.
    Any,
}

/// A choice enum.
#[derive(Debug, Clone, Default)]
pub struct ChoiceDef {
    /// The alternatives.
    pub variants: Vec<ChoiceVariant>,
}

/// One alternative of a choice.
#[derive(Debug, Clone)]
pub struct ChoiceVariant {
    /// Rust variant name.
    pub rust_name: String,
    /// What the alternative is.
    pub kind: VariantKind,
    /// Boxed to break a cycle of types that contain each other.
    pub boxed: bool,
    /// Documentation.
    pub doc: Vec<String>,
}

/// What a choice alternative holds.
#[derive(Debug, Clone)]
pub enum VariantKind {
    /// One element (possibly repeated).
    Element {
        /// The element's name.
        name: QName,
        /// Its type.
        ty: ValueType,
        /// Whether it repeats.
        many: bool,
    },
    /// A sequence group (a struct with `is_group`).
    Group(TypeId),
    /// `xs:any` (elements of any namespace), possibly repeated.
    Any {
        /// Whether it repeats.
        many: bool,
    },
}

/// An enumeration.
#[derive(Debug, Clone, Default)]
pub struct EnumDef {
    /// The values, in schema order.
    pub values: Vec<EnumValue>,
    /// Whether unknown values are kept in an `Other(String)` variant.
    pub open: bool,
}

/// One enumeration value.
#[derive(Debug, Clone)]
pub struct EnumValue {
    /// The value as written in XML.
    pub xml: String,
    /// Rust variant name.
    pub rust_name: String,
    /// Documentation.
    pub doc: Vec<String>,
}

/// The type of a value: a built-in, a generated item, or a list of either.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// A value type of the runtime.
    Builtin(Builtin),
    /// A generated item.
    Named(TypeId),
    /// A whitespace-separated `xs:list`.
    List(Box<ValueType>),
}

/// Built-in XSD types, mapped to runtime types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Builtin {
    String,
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    /// `xs:decimal`, kept as its lexical form.
    Decimal,
    DateTime,
    Date,
    Time,
    Duration,
    Base64,
    Hex,
    /// `xs:anyType` and untyped elements: an XML tree.
    AnyElement,
}

/// A global element.
#[derive(Debug, Clone)]
pub struct GlobalElement {
    /// The element's name.
    pub name: QName,
    /// Its type.
    pub ty: ValueType,
    /// Rust variant name in the `Element` enum.
    pub rust_name: String,
    /// Substitution-group head: the group's members.
    pub substitutes: Vec<QName>,
    /// Whether the element is abstract.
    pub is_abstract: bool,
}

/// A WSDL operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Operation name (`GetItem`).
    pub name: String,
    /// SOAPAction header value.
    pub soap_action: String,
    /// Request body element.
    pub input: QName,
    /// Response body element.
    pub output: QName,
    /// SOAP headers the binding accepts on input, as indices into [`Model::headers`].
    pub input_headers: Vec<usize>,
    /// SOAP headers the binding sends on output.
    pub output_headers: Vec<usize>,
    /// Whether the operation only reads ([`crate::wsdl::READ_ONLY_OPERATIONS`]), so that
    /// sending it twice cannot duplicate an effect.
    pub read_only: bool,
}

/// A SOAP header element that some binding accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderKind {
    /// The header element.
    pub element: QName,
    /// Rust name of the marker trait (`AcceptsExchangeImpersonation`).
    pub marker: String,
}
