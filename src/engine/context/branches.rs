//! The branches of the parser (`line.rs`, `values.rs`, `commands.rs`, `blocks.rs`), named,
//! and [`took`], which each branch calls: a no-op outside the unit tests, where it records
//! the branches a line goes through. Lets `forms.rs` check that its table names every
//! branch, without the parser knowing about the table.

/// Declares [`Branch`] and, for the tests, the list of all its variants.
macro_rules! branches {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// A branch of the parser (`line.rs`, `values.rs`, `commands.rs`, `blocks.rs`), named
        /// so that a form can say which it goes through.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(super) enum Branch { $($(#[doc = $doc])* $name,)* }

        #[cfg(test)]
        pub(super) const ALL: &[Branch] = &[$(Branch::$name),*];
    };
}

branches! {
    /// `NAME=value`: `=` (and `--flag=value`).
    Equals,
    /// `name: value`: `:` not followed by a type.
    Colon,
    /// `name := value` (Go), `'name' => value` (PHP, Ruby).
    ArrowOrWalrus,
    /// `NAME ?= value`, `name ||= value`, `name ??= value`.
    Conditional,
    /// `name: Type = value`: a typed declaration.
    Typed,
    /// `var name Type = value` (Go): a type after a blank.
    SpacedType,
    /// `f("NAME", "value")`: a quoted name as a call's first argument.
    CallArgument,
    /// `env["NAME"] = value`: a quoted name indexing a map.
    QuotedIndex,
    /// `name[] = value`, `name[0] = value`.
    Index,
    /// `Name { get; set; } = value`: a C# auto-property.
    Property,
    /// `--name value`: a command-line flag.
    Flag,
    /// `ENV NAME value`, `ARG`, `set`, `setx`.
    Keyword,
    /// SQL `IDENTIFIED BY 'value'`, named `password`.
    IdentifiedBy,
    /// `PASSWORD 'value'`, `Authorization "Bearer value"`: a literal after a blank.
    SpacedLiteral,
    /// `"Header: value"`: the name inside a string, which the value ends with.
    InString,
    /// `<name>value</name>`: an XML element.
    Element,
    /// `key="NAME" value="v"`, `"name": "NAME", "value": "v"`: one value names the other.
    Pair,
    /// `mysql -pvalue`: a password attached to a tool's flag.
    AttachedFlag,
    /// `redis-cli -a value`: a password as the word after a tool's flag.
    NextWord,
    /// `curl -u user:value`: a password after the colon of the word after the flag.
    AfterColon,
    /// A quoted literal, its quotes escaped or not.
    Quoted,
    /// An unquoted value (config syntax).
    Unquoted,
    /// `String::from("value")`: a literal wrapped in a constructor.
    Constructor,
    /// `b"value"`, `r"…"`, `@"…"`: a string prefix.
    StringPrefix,
    /// `Bearer value`: an HTTP auth scheme skipped; the value is named `authorization`.
    AuthScheme,
    /// `key: |` then the value on the next line: a YAML block scalar.
    BlockScalar,
    /// `parent:` then `  key: value` indented: a YAML mapping, names joined with `.`.
    Mapping,
    /// `- name: NAME` then `  value: v`: a Kubernetes or Compose env entry.
    ListEntry,
    /// `id,name,api_key` then rows: CSV or TSV columns, each named by its header.
    Columns,
    /// Not a name: `Foo::Name` (a path), `x."name"` (a member), `arn:…:name` (a segment).
    NotAName,
    /// Not an assignment: `name == value`, `name =~ value`.
    Comparison,
    /// Not a value: nothing, a call `f(`, an object `{`, an array `[`, a template `${`.
    NotAValue,
    /// Not an element: `<Name>` not closed on the line (a C++ template).
    Unclosed,
}

#[cfg(test)]
thread_local! {
    /// The branches taken since [`record`] started, on this thread.
    static TAKEN: std::cell::RefCell<Option<Vec<Branch>>> = const { std::cell::RefCell::new(None) };
}

/// Notes that the parser took `branch`. Nothing outside the unit tests: the compiler
/// removes the call.
#[inline(always)]
pub(super) fn took(branch: Branch) {
    #[cfg(test)]
    TAKEN.with(|t| {
        if let Some(t) = t.borrow_mut().as_mut() {
            t.push(branch);
        }
    });
    #[cfg(not(test))]
    let _ = branch;
}

/// The branches `f` takes.
#[cfg(test)]
pub(super) fn record(f: impl FnOnce()) -> Vec<Branch> {
    TAKEN.with(|t| *t.borrow_mut() = Some(Vec::new()));
    f();
    TAKEN.with(|t| t.borrow_mut().take()).unwrap_or_default()
}
