//! The context grammar: where a line gives a value to a name, in the syntaxes repositories
//! hold. Name-based rules declare `name:` (a regex over the normalized name) and `value:`
//! (a regex the whole value must match); this module is the one place that knows how
//! `NAME <op> VALUE` is written. Every form it knows is listed with an example in
//! `forms.rs` (`FORMS`); in short:
//!
//! - operators: `=`, `:=`, `=>`, `?=`, `||=`, `:` (YAML, JSON, dicts, struct fields,
//!   headers), typed declarations (`X: &'static str =`, `x: string =`, `X: Final[str] =`),
//!   `"X", "v"` as call arguments (`define`, `setenv`, `headers.set`), `NAME "v"` (SQL
//!   `PASSWORD 'v'`, Ruby DSLs), `ENV`/`ARG`/`set NAME v`, `--flag v`, SQL `IDENTIFIED BY`,
//!   XML `<name>v</name>`, and `key="NAME" value="v"` / `"name": "NAME", "value": "v"` pairs
//!   (`line.rs`); `mysql -pv`, `redis-cli -a v`, `curl -u user:v` (`commands.rs`); YAML
//!   nesting, block scalars and env lists, CSV/TSV columns (`blocks.rs`);
//! - names: bare, quoted, escaped once or twice more (`\"key\"` in notebooks and JSON-held
//!   code, `quotes.rs`), indexed (`env["X"] =`, `key[] =`), in a string (`"Authorization:
//!   Bearer v"`); `Foo::Name` is a path in code, never a name;
//! - values: quoted literals (also escaped, and wrapped in `String::from(…)`, `new
//!   String(…)` and the like), unquoted values (config syntax: env, YAML, INI, properties,
//!   shell, logs), an HTTP auth scheme (`Bearer`, `Basic`, `Token`, `Bot`) skipped
//!   (`values.rs`). An unquoted value followed by `(` is a call, not a value.
//!
//! Names are compared normalized ([`normalize`]), so one rule covers `MUFI_API_KEY`,
//! `mufiApiKey`, `mufi-api-key` and `mufiapikey`. A name whose last word says it names or
//! describes a secret (`tokenId`, `secretName`, `password_hash`) or whose secret word is
//! qualified away (`NextToken`, `csrf_token`, `publicKey`) does not hold one ([`describes`],
//! `names.rs`). The words that steer all this are data: `vocabulary.yaml`.

mod blocks;
mod branches;
mod commands;
mod filetype;
mod forms;
mod line;
mod names;
mod quotes;
mod values;
mod vocabulary;

#[cfg(test)]
mod cases;

pub(crate) use blocks::extent;
pub(crate) use filetype::is_code;
pub(crate) use names::{describes, normalize, words};
pub(crate) use vocabulary::{
    BROWSER_PREFIXES, MASKING_WORDS, PUBLIC_NAMES, SECRET_VALUE_WORDS, SERVER_SECRET_WORDS,
    SESSION_TOKEN_WORDS,
};

/// A value given to a name on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment {
    /// The name, normalized.
    pub name: String,
    /// The name names or qualifies a secret rather than holding one.
    pub describes: bool,
    /// The value's span in the line.
    pub start: usize,
    pub end: usize,
    /// The value is a literal (quoted, or XML text), not an unquoted word.
    pub quoted: bool,
}

/// The assignments of the lines parsed so far in one buffer, so that several rules running
/// on one line parse it once.
#[derive(Default)]
pub(crate) struct Lines {
    /// `(offset, len)` of each parsed line to its range in `all`. A map, not a sorted list:
    /// rules visit lines in their own orders, and inserting in the middle of a list made
    /// a buffer with many keyword lines quadratic.
    parsed: std::collections::HashMap<(usize, usize), (usize, usize)>,
    all: Vec<Assignment>,
}

impl Lines {
    /// The assignments of `line`, which starts at `offset` in the buffer.
    pub fn assignments(&mut self, line: &[u8], offset: usize) -> &[Assignment] {
        let key = (offset, line.len());
        let (from, to) = match self.parsed.get(&key) {
            Some(&range) => range,
            None => {
                let from = self.all.len();
                assignments(line, &mut self.all);
                let range = (from, self.all.len());
                self.parsed.insert(key, range);
                range
            }
        };
        &self.all[from..to]
    }
}

/// Finds every assignment on `line` (one line, or a window from [`extent`]) and appends it
/// to `out`.
pub(crate) fn assignments(line: &[u8], out: &mut Vec<Assignment>) {
    if memchr::memchr(b'\n', line).is_some() {
        blocks::block(line, out);
    } else {
        line::assignments_in_line(line, 0, out);
    }
}
