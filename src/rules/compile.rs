//! Turns rule files (`syntax.rs`) into validated, compiled rules.
//!
//! Everything that can be wrong with a rule is found here, once, before any file is read:
//! bad YAML, unknown fields, invalid regexes, duplicate ids. Each error names the file, the
//! rule and, where the YAML parser knows it, the line and column.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, OnceLock};

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder};

use super::syntax::{
    AllowSyntax, Checksum, Entry, Examples, Exposes, GroupNames, RuleFile, RuleKind, RuleSyntax,
    Severity, Text, Within,
};
use super::validation::ValidateSyntax;

/// Compiled regexes larger than this are rejected: a rule must not be able to make every
/// scan slow or eat memory.
const REGEX_SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// What went wrong loading rules, with enough context to fix it in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The file the rule came from (a built-in `rules/*.yaml` name or a config path).
    pub file: String,
    /// The rule at fault, when the error is about one rule.
    pub rule: Option<String>,
    /// Line and column in the file, when the parser reports them.
    pub position: Option<(u64, u64)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ": rule `{rule}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RuleError {}

/// An allowlist, compiled.
#[derive(Debug, Default, Clone)]
pub struct Allow {
    paths: LazyGlobs,
    regexes: Vec<LazyRegex>,
    /// Lowercased, with their position in the list as written (empty ones are dropped).
    stopwords: Vec<(usize, Vec<u8>)>,
    /// The line each entry is written on, per list (0: unknown).
    lines: [Vec<u32>; 3],
    /// The file this allowlist is written in (a config, or a built-in `rules/*.yaml`).
    pub file: String,
    /// The rule it belongs to; `None` for the config's global allowlist.
    pub rule: Option<String>,
}

/// One entry of an [`Allow`], by place: which list and its position there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowEntry {
    list: AllowList,
    index: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AllowList {
    Paths,
    Regexes,
    Stopwords,
}

impl Allow {
    /// Is this path allowlisted? `path` is `/`-separated and relative.
    pub fn allows_path(&self, path: &str) -> bool {
        !self.paths.is_empty() && self.paths.get().is_match(path)
    }

    /// Is this secret allowlisted (by regex or stopword)?
    pub fn allows_secret(&self, secret: &[u8]) -> bool {
        self.secret_entry(secret).is_some()
    }

    /// The path glob that allowlists `path`, if one does (for `--explain`).
    pub fn path_entry(&self, path: &str) -> Option<AllowEntry> {
        // `is_match` first: this runs for every file, and `matches` allocates.
        if !self.allows_path(path) {
            return None;
        }
        let index = *self.paths.get().matches(path).first()?;
        Some(AllowEntry {
            list: AllowList::Paths,
            index,
        })
    }

    /// The regex or stopword that allowlists `secret`, if one does.
    pub fn secret_entry(&self, secret: &[u8]) -> Option<AllowEntry> {
        if let Some(index) = self.regexes.iter().position(|r| r.get().is_match(secret)) {
            return Some(AllowEntry {
                list: AllowList::Regexes,
                index,
            });
        }
        if self.stopwords.is_empty() {
            return None;
        }
        let lower = secret.to_ascii_lowercase();
        self.stopwords
            .iter()
            .find(|(_, w)| lower.windows(w.len()).any(|win| win == w.as_slice()))
            .map(|&(index, _)| AllowEntry {
                list: AllowList::Stopwords,
                index,
            })
    }

    /// How `--explain` names an entry: by its list and position (`allow.regexes[2]`, or
    /// ``rule `x` allow.stopwords[0]``), never by its text, which may be the secret itself.
    pub fn entry_name(&self, e: AllowEntry) -> String {
        let list = match e.list {
            AllowList::Paths => "paths",
            AllowList::Regexes => "regexes",
            AllowList::Stopwords => "stopwords",
        };
        match &self.rule {
            Some(id) => format!("rule `{id}` allow.{list}[{}]", e.index),
            None => format!("allow.{list}[{}]", e.index),
        }
    }

    /// Where an entry is written: `file:line` (the file alone when the line is unknown).
    pub fn entry_place(&self, e: AllowEntry) -> String {
        let line = self.lines[e.list as usize].get(e.index).copied();
        match line {
            Some(n) if n > 0 => format!("{}:{n}", self.file),
            _ => self.file.clone(),
        }
    }

    fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.regexes.is_empty() && self.stopwords.is_empty()
    }
}

/// A rule regex compiled on first use. Built-in rules are compiled lazily (the test suite
/// compiles and runs every one of them), so the pre-commit hook pays only for the rules
/// whose keywords occur in what it scans; user rules are compiled at load time, so that a
/// bad regex in a config is an immediate, clear error.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    pattern: Text,
    cell: std::sync::OnceLock<Regex>,
}

impl LazyRegex {
    fn eager(pattern: Text) -> Result<LazyRegex, String> {
        let cell = std::sync::OnceLock::new();
        let _ = cell.set(compile_regex(&pattern)?);
        Ok(LazyRegex { pattern, cell })
    }

    fn lazy(pattern: Text) -> LazyRegex {
        LazyRegex {
            pattern,
            cell: std::sync::OnceLock::new(),
        }
    }

    /// The compiled regex. A built-in pattern that failed to compile (which the test suite
    /// rules out) matches nothing rather than aborting a scan.
    pub fn get(&self) -> &Regex {
        self.cell.get_or_init(|| {
            compile_regex(&self.pattern)
                .unwrap_or_else(|_| Regex::new(r"[^\x00-\xff]").expect("a fixed, valid pattern"))
        })
    }
}

/// Path globs compiled into one set on first use, like [`LazyRegex`]: a glob set costs
/// regexes and automata to build, and the pre-commit hook needs only the sets of the path
/// rules and of the allowlists of rules that match. User globs are compiled at load time.
#[derive(Debug, Clone, Default)]
pub struct LazyGlobs {
    /// As written: glob `i` of the set is `globs[i]`.
    pub globs: Vec<Text>,
    cell: std::sync::OnceLock<GlobSet>,
}

impl LazyGlobs {
    pub fn lazy(globs: Vec<Text>) -> LazyGlobs {
        LazyGlobs {
            globs,
            cell: std::sync::OnceLock::new(),
        }
    }

    pub fn eager(globs: Vec<Text>) -> Result<LazyGlobs, String> {
        let cell = std::sync::OnceLock::new();
        let _ = cell.set(build_globs(&globs)?);
        Ok(LazyGlobs { globs, cell })
    }

    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }

    /// The compiled set. Built-in globs that failed to compile (which the test suite rules
    /// out) match nothing rather than aborting a scan.
    pub fn get(&self) -> &GlobSet {
        self.cell
            .get_or_init(|| build_globs(&self.globs).unwrap_or_else(|_| GlobSet::empty()))
    }
}

/// What a rule looks at.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// A regex over file contents.
    Content {
        regex: LazyRegex,
        /// Capture group holding the secret; `None`: group 1 if the regex has one, else the
        /// whole match.
        secret_group: Option<usize>,
        /// An exposure rule's regex over group 1 of each match: every match of it is a name.
        each: Option<LazyRegex>,
        multiline: bool,
    },
    /// A value given to a name, found by the engine's context grammar
    /// (`engine/context/`): the name must match `name` (normalized), the whole value
    /// `value`.
    Context {
        name: LazyRegex,
        /// Anchored at both ends.
        value: LazyRegex,
        /// The rule's other forms (client calls, CLI commands), on the keyword's line.
        regex: Option<LazyRegex>,
        /// Every line of a buffer holding a keyword, not just the keyword's lines.
        multiline: bool,
    },
    /// Globs over the file path, as written: the file itself is the finding. The engine
    /// matches every path rule's globs in one set (`engine/index.rs`).
    Path { globs: Vec<Text> },
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: Text,
    pub description: Text,
    /// Who issues the secret, or the format's name (the id when a config does not say).
    pub issuer: Text,
    /// The issuer's documentation of the format.
    pub references: Vec<Text>,
    /// Why the rule is hard to review (`RuleSyntax::style_problems`): `rules test` fails.
    pub style: Vec<String>,
    pub severity: Severity,
    pub keywords: Vec<Text>,
    pub matcher: Matcher,
    /// The regex or the path globs as written, for `rules list`.
    pub pattern: Text,
    pub min_entropy: Option<f64>,
    pub generic: bool,
    /// The secret must pass the randomness test (see `RuleSyntax::randomness`).
    pub randomness: bool,
    /// Lowercased context words.
    pub context: Vec<Vec<u8>>,
    pub priority: i32,
    pub checksum: Option<Checksum>,
    pub overlaps: Vec<Text>,
    pub allow: Allow,
    pub remediation: Text,
    pub examples: Examples,
    /// How to ask the issuer whether a secret of this rule still works.
    pub validate: Option<Check>,
    /// A secret, or an identifier only reported as a secret's companion.
    pub kind: RuleKind,
    /// `kind: exposure`: who else can read what the match names, and what its group 1 must
    /// name (`exposes:`, `group_names:`; unused by other kinds).
    pub exposes: Exposes,
    pub group_names: GroupNames,
    /// The companion this rule's secret works with.
    pub pair: Option<Pair>,
    /// Some rule pairs with this one: the engine keeps its matches at hand.
    pub companion: bool,
    /// Where the rule was defined.
    pub source: Text,
}

/// A rule's `pair:`, with its companion's place in the rule set.
#[derive(Debug, Clone)]
pub struct Pair {
    pub rule: Text,
    pub within: Within,
    pub required: bool,
    /// The companion rule's index in [`RuleSet::rules`] (set once every rule is loaded).
    pub index: u32,
}

/// A rule's `validate:` block, parsed the first time a check is asked for: a built-in
/// rule's is the JSON build.rs wrote (parsing all of them on every run cost the hook more
/// than the rest of loading the built-in rules), a config's was parsed with the config.
#[derive(Clone)]
pub struct Check {
    json: Option<&'static str>,
    spec: Arc<OnceLock<Arc<ValidateSyntax>>>,
}

impl Check {
    fn parsed(spec: ValidateSyntax) -> Check {
        Check {
            json: None,
            spec: Arc::new(OnceLock::from(Arc::new(spec))),
        }
    }

    fn json(json: &'static str) -> Check {
        Check {
            json: Some(json),
            spec: Arc::new(OnceLock::new()),
        }
    }

    /// The block.
    pub fn spec(&self) -> Arc<ValidateSyntax> {
        self.spec
            .get_or_init(|| {
                let json = self.json.expect("a check is parsed or has its JSON");
                Arc::new(serde_json::from_str(json).expect("build.rs wrote this JSON"))
            })
            .clone()
    }
}

/// The block itself, however it is held: a built-in rule compares equal to its YAML.
impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Check").field(&self.spec()).finish()
    }
}

impl Rule {
    /// Is this a path rule?
    pub fn is_path_rule(&self) -> bool {
        matches!(self.matcher, Matcher::Path { .. })
    }
}

/// The active rules plus the global allowlist.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub allow: Allow,
    /// Non-fatal remarks (rules without keywords), shown by `rules test`.
    pub warnings: Vec<String>,
}

/// A rule file to load: its display name and its text.
pub struct Source<'a> {
    pub name: String,
    pub text: &'a str,
}

impl RuleSet {
    /// The built-in rules (parsed at build time, see [`super::builtin`]), then the user
    /// config (if any), applying `extend_default` and `disable`. What every command runs.
    pub fn load_builtin(config: Option<&Source<'_>>) -> Result<RuleSet, RuleError> {
        RuleSet::load_with(config, |set, ids| {
            let rules = super::builtin::rules();
            set.rules.reserve(rules.len());
            ids.reserve(rules.len());
            for (file, r) in rules {
                set.push(r, Text::Borrowed(file), ids, false)?;
            }
            Ok(())
        })
    }

    /// Loads the given rule files as the built-ins (parsing their YAML now), then the user
    /// config (if any), applying `extend_default` and `disable`.
    pub fn load(builtin: &[Source<'_>], config: Option<&Source<'_>>) -> Result<RuleSet, RuleError> {
        RuleSet::load_with(config, |set, ids| {
            for src in builtin {
                let file = parse_file(src)?;
                for r in file.rules {
                    set.push(r, src.name.clone().into(), ids, false)?;
                }
            }
            Ok(())
        })
    }

    /// `builtin` pushes the built-in rules; it runs unless the config says
    /// `extend_default: false`.
    fn load_with(
        config: Option<&Source<'_>>,
        builtin: impl FnOnce(&mut RuleSet, &mut HashSet<Text>) -> Result<(), RuleError>,
    ) -> Result<RuleSet, RuleError> {
        let user = config.map(|c| parse_file(c)).transpose()?;
        let mut set = RuleSet::default();
        let mut ids = HashSet::new();
        let extend = user.as_ref().and_then(|u| u.extend_default).unwrap_or(true);
        if extend {
            builtin(&mut set, &mut ids)?;
        }
        if let (Some(cfg), Some(file)) = (config, user) {
            for id in &file.disable {
                if !ids.remove(id.as_str()) {
                    return Err(RuleError {
                        file: cfg.name.clone(),
                        rule: Some(id.clone()),
                        position: None,
                        message: "listed in `disable` but no such rule is defined".into(),
                    });
                }
                set.rules.retain(|r| &r.id != id);
            }
            for r in file.rules {
                set.push(r, cfg.name.clone().into(), &mut ids, true)?;
            }
            if let Some(allow) = &file.allow {
                set.allow =
                    compile_allow(allow, true, &cfg.name, None).map_err(|message| RuleError {
                        file: cfg.name.clone(),
                        rule: None,
                        position: None,
                        message: format!("allow: {message}"),
                    })?;
            }
        }
        set.link_pairs().map_err(|(rule, message)| RuleError {
            file: rule.1,
            rule: Some(rule.0),
            position: None,
            message,
        })?;
        for r in &set.rules {
            if r.keywords.is_empty() && !r.is_path_rule() {
                set.warnings.push(format!(
                    "rule `{}` ({}) has no keywords: it runs its regex on every file",
                    r.id, r.source
                ));
            }
        }
        Ok(set)
    }

    fn push(
        &mut self,
        syntax: RuleSyntax,
        file: Text,
        ids: &mut HashSet<Text>,
        eager: bool,
    ) -> Result<(), RuleError> {
        let id = syntax.id.clone();
        let err = |message: String| RuleError {
            file: file.to_string(),
            rule: Some(id.to_string()),
            position: None,
            message,
        };
        if !ids.insert(syntax.id.clone()) {
            return Err(err("duplicate rule id (ids must be unique across built-in rules and config; `disable` a built-in rule to redefine it)".into()));
        }
        if let Some(v) = syntax.validate.as_ref().filter(|_| eager) {
            v.spec.check().map_err(|message| RuleError {
                position: (v.line > 0).then_some((u64::from(v.line), u64::from(v.column))),
                ..err(message)
            })?;
        }
        let rule = compile_rule(syntax, file.clone(), eager).map_err(err)?;
        self.rules.push(rule);
        Ok(())
    }

    /// Points each `pair:` at its companion rule, now that `disable` and the config have
    /// had their say. Errors name the rule (id, file) at fault.
    fn link_pairs(&mut self) -> Result<(), ((String, String), String)> {
        // Few rules pair: a linear search each, no map of every id (the hook loads all).
        let mut links = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            let Some(pair) = &r.pair else { continue };
            let at = || (r.id.to_string(), r.source.to_string());
            let Some(j) = self.rules.iter().position(|c| c.id == pair.rule) else {
                return Err((at(), format!("`pair: {{rule: {}}}` names no rule that is loaded (undefined, or disabled: disable this rule too, or keep that one)", pair.rule)));
            };
            let companion = &self.rules[j];
            if companion.is_path_rule() || companion.pair.is_some() {
                return Err((at(), format!("`pair` names `{}`, which finds a file or is itself paired: a companion is an identifier or a secret of its own", pair.rule)));
            }
            links.push((i, j as u32));
        }
        for &(i, j) in &links {
            if let Some(p) = self.rules[i].pair.as_mut() {
                p.index = j;
            }
            self.rules[j as usize].companion = true;
        }
        for (i, r) in self.rules.iter().enumerate() {
            if r.kind == RuleKind::Identifier && !links.iter().any(|&(_, j)| j as usize == i) {
                self.warnings.push(format!(
                    "rule `{}` ({}) is an identifier no rule pairs with: it never reports anything",
                    r.id, r.source
                ));
            }
        }
        Ok(())
    }

    /// Finds a rule by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Every rule by id, for looking up many.
    pub fn by_id(&self) -> HashMap<&str, &Rule> {
        self.rules.iter().map(|r| (r.id.as_ref(), r)).collect()
    }
}

fn parse_file(src: &Source<'_>) -> Result<RuleFile, RuleError> {
    serde_saphyr::from_str::<RuleFile>(src.text).map_err(|e| {
        let position = e.location().map(|l| (l.line(), l.column()));
        // The snippet-free message: error text must never echo file contents (a secret
        // could sit on the offending line).
        let message = e.without_snippet().to_string();
        let message = strip_position_prefix(message.lines().next().unwrap_or("invalid YAML"));
        let message = explain_budget(message);
        RuleError {
            file: src.name.clone(),
            rule: None,
            position,
            message,
        }
    })
}

/// saphyr's resource limits (nodes, depth, aliases: its default `Budget`, which bounds a
/// hostile rule file's time and memory) read "budget breached: Nodes { .. } at line L, column
/// C"; say what that means to the user.
fn explain_budget(msg: String) -> String {
    match msg.strip_prefix("budget breached: ") {
        Some(rest) => {
            let what = rest.split(" at line ").next().unwrap_or(rest);
            format!("too large or too deeply nested for a rule file (YAML limit reached: {what})")
        }
        None => msg,
    }
}

/// saphyr prefixes messages with "line L column C: "; we print the position ourselves.
fn strip_position_prefix(msg: &str) -> String {
    let msg = msg.trim().trim_start_matches("error: ");
    if let Some(rest) = msg.strip_prefix("line ") {
        if let Some(idx) = rest.find(": ") {
            // `idx` is where `find` found ASCII ": ", so `idx` and `idx + 2` are boundaries.
            if rest[..idx].contains("column") {
                return rest[idx + 2..].to_string();
            }
        }
    }
    msg.to_string()
}

/// The remediation of a rule that gives none.
const REMEDIATION: &str = "Revoke the secret at its issuer, issue a replacement, update everything that used it, and review the issuer's audit logs for use of the leaked value.";

fn compile_rule(s: RuleSyntax, file: Text, eager: bool) -> Result<Rule, String> {
    // A user's rule is checked here; the built-in rules (`eager: false`) were checked by
    // build.rs, and checking a thousand of them again cost the hook a millisecond per run.
    let style = if eager {
        s.check()?;
        s.style_problems()
    } else {
        Vec::new()
    };
    let lazy = |re: Text| {
        if eager {
            LazyRegex::eager(re)
        } else {
            Ok(LazyRegex::lazy(re))
        }
    };
    let (matcher, pattern) = match (&s.regex, s.paths.is_empty()) {
        (_, true) if s.name.is_some() => {
            let (Some(name), Some(value)) = (&s.name, &s.value) else {
                unreachable!("checked by RuleSyntax::check")
            };
            let name_re = expand(name)?;
            // A `(?x)` value may end in a `# comment`: a newline ends it before `)$`.
            let end = if value.contains('\n') { "\n" } else { "" };
            let value_re = format!("^(?:{}{end})$", expand(value)?);
            let regex = match &s.regex {
                Some(r) => Some(lazy(expand(r)?)?),
                None => None,
            };
            let matcher = Matcher::Context {
                name: lazy(name_re).map_err(|e| format!("name: {e}"))?,
                value: lazy(value_re.into()).map_err(|e| format!("value: {e}"))?,
                regex,
                multiline: s.multiline,
            };
            let mut pattern = format!("name: {name}  value: {value}");
            if let Some(r) = &s.regex {
                pattern.push_str(&format!("  regex: {r}"));
            }
            (matcher, pattern.into())
        }
        (Some(_), false) => unreachable!("checked by RuleSyntax::check"),
        (None, true) => unreachable!("checked by RuleSyntax::check"),
        (None, false) => {
            if eager {
                build_globs(&s.paths).map_err(|e| format!("paths: {e}"))?;
            }
            let pattern = s.paths.join(", ").into();
            (
                Matcher::Path {
                    globs: s.paths.clone(),
                },
                pattern,
            )
        }
        (Some(written), true) => {
            let re = expand(written)?;
            let regex = if eager {
                let regex = LazyRegex::eager(re)?;
                let groups = regex.get().captures_len() - 1;
                if let Some(g) = s.secret_group.filter(|&g| g > groups) {
                    return Err(format!(
                        "secret_group is {g} but the regex has only {groups} capture group(s)"
                    ));
                }
                regex
            } else {
                LazyRegex::lazy(re)
            };
            (
                Matcher::Content {
                    regex,
                    secret_group: s.secret_group,
                    each: match &s.each {
                        Some(e) => Some(lazy(expand(e)?).map_err(|e| format!("each: {e}"))?),
                        None => None,
                    },
                    multiline: s.multiline,
                },
                written.clone(),
            )
        }
    };
    let allow = match &s.allow {
        Some(a) => {
            compile_allow(a, eager, &file, Some(&s.id)).map_err(|e| format!("allow: {e}"))?
        }
        None => Allow::default(),
    };
    Ok(Rule {
        issuer: s.issuer.unwrap_or_else(|| s.id.clone()),
        references: s.references,
        style,
        id: s.id,
        description: s.description,
        severity: s.severity,
        keywords: s.keywords,
        matcher,
        pattern,
        min_entropy: s.min_entropy,
        generic: s.generic,
        randomness: s.randomness,
        context: s
            .context
            .iter()
            .map(|c| c.to_ascii_lowercase().into_bytes())
            .collect(),
        priority: s.priority,
        checksum: s.checksum,
        overlaps: s.overlaps,
        allow,
        remediation: s.remediation.unwrap_or(Text::Borrowed(REMEDIATION)),
        examples: s.examples,
        validate: match (s.validate, s.validate_json) {
            (Some(v), _) => Some(Check::parsed(v.spec)),
            (None, Some(json)) => Some(Check::json(json)),
            (None, None) => None,
        },
        kind: s.kind,
        exposes: s.exposes.unwrap_or_default(),
        group_names: s
            .group_names
            .unwrap_or_else(|| s.exposes.unwrap_or_default().group_names()),
        pair: s.pair.map(|p| Pair {
            rule: p.rule,
            within: p.within,
            required: p.required,
            index: u32::MAX,
        }),
        companion: false,
        source: file,
    })
}

/// `pattern` with its `{{fragments}}` expanded; still borrowed if it has none.
fn expand(pattern: &Text) -> Result<Text, String> {
    match pattern.contains("{{") {
        true => super::fragments::expand(pattern, super::VOCABULARY_FRAGMENTS).map(Text::Owned),
        false => Ok(pattern.clone()),
    }
}

/// Compiles a rule regex the one way the engine needs it: bytes, ASCII classes (like Go and
/// gitleaks: fast to build, no Unicode DFA blow-up), bounded size.
pub fn compile_regex(re: &str) -> Result<Regex, String> {
    RegexBuilder::new(re)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            // regex errors are multi-line (pattern, caret, message); keep it to one line.
            let text = e.to_string();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid regex")
                .trim()
                .trim_start_matches("error: ")
                .to_string();
            format!("invalid regex: {last}")
        })
}

fn build_globs(globs: &[Text]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("invalid glob `{g}`: {}", e.kind()))?);
    }
    b.build().map_err(|e| e.to_string())
}

/// Compiles an allowlist written in `file` (for `rule`, or the global one).
fn compile_allow(
    a: &AllowSyntax,
    eager: bool,
    file: &str,
    rule: Option<&str>,
) -> Result<Allow, String> {
    let texts = |l: &[Entry]| l.iter().map(|e| e.text.clone()).collect::<Vec<_>>();
    let lines = |l: &[Entry]| l.iter().map(|e| e.line).collect::<Vec<_>>();
    let allow = Allow {
        file: file.to_string(),
        rule: rule.map(str::to_string),
        lines: [lines(&a.paths), lines(&a.regexes), lines(&a.stopwords)],
        paths: match eager {
            true => LazyGlobs::eager(texts(&a.paths))?,
            false => LazyGlobs::lazy(texts(&a.paths)),
        },
        regexes: texts(&a.regexes)
            .into_iter()
            .map(|r| {
                if eager {
                    LazyRegex::eager(r)
                } else {
                    Ok(LazyRegex::lazy(r))
                }
            })
            .collect::<Result<_, _>>()?,
        stopwords: a
            .stopwords
            .iter()
            .enumerate()
            .filter(|(_, w)| !w.text.is_empty())
            .map(|(i, w)| (i, w.text.to_ascii_lowercase().into_bytes()))
            .collect(),
    };
    debug_assert!(!allow.is_empty() || (a.paths.is_empty() && a.regexes.is_empty()));
    Ok(allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<RuleSet, RuleError> {
        RuleSet::load(
            &[],
            Some(&Source {
                name: "cfg.yaml".into(),
                text,
            }),
        )
    }

    #[test]
    fn bad_regex_names_file_rule_and_problem() {
        let e = load("rules:\n  - id: x\n    description: d\n    severity: low\n    keywords: [a]\n    regex: 'a('\n")
            .unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("cfg.yaml: rule `x`: invalid regex"), "{s}");
        assert!(!s.contains('\n'), "{s}");
    }

    #[test]
    fn unknown_field_has_position() {
        let e = load("rules:\n  - id: x\n    description: d\n    severity: low\n    keyword: [a]\n    regex: a\n")
            .unwrap_err();
        assert_eq!(e.position.map(|p| p.0), Some(5), "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn duplicate_id_rejected() {
        let e = load("rules:\n  - {id: x, description: d, severity: low, regex: a}\n  - {id: x, description: d, severity: low, regex: b}\n").unwrap_err();
        assert!(e.message.contains("duplicate"), "{e}");
    }

    #[test]
    fn secret_group_out_of_range() {
        let e = load(
            "rules:\n  - {id: x, description: d, severity: low, regex: '(a)', secret_group: 2}\n",
        )
        .unwrap_err();
        assert!(e.message.contains("secret_group"), "{e}");
    }

    #[test]
    fn missing_keywords_warns() {
        let set = load("rules:\n  - {id: x, description: d, severity: low, regex: a}\n").unwrap();
        assert_eq!(set.warnings.len(), 1);
    }

    /// `--explain` names an allowlist entry by list, position and line, never by its text.
    #[test]
    fn allow_entries_are_named_by_place() {
        let set = load("allow:\n  paths: ['a/**']\n  regexes:\n    - '^x$'\n    - '^tok_[0-9]+$'\n  stopwords: ['', 'Sesame']\nrules:\n  - id: r\n    description: d\n    severity: low\n    keywords: [k]\n    regex: 'k[0-9]+'\n    allow: {stopwords: [open]}\n").unwrap();
        let a = &set.allow;
        let named = |e: AllowEntry| format!("{} in {}", a.entry_name(e), a.entry_place(e));
        assert_eq!(
            named(a.path_entry("a/b").unwrap()),
            "allow.paths[0] in cfg.yaml:2"
        );
        let e = a.secret_entry(b"tok_123").unwrap();
        assert_eq!(named(e), "allow.regexes[1] in cfg.yaml:5");
        // The empty stopword is dropped, and the next keeps its position as written.
        let e = a.secret_entry(b"xSESAMEx").unwrap();
        assert_eq!(named(e), "allow.stopwords[1] in cfg.yaml:6");
        let r = set.rules.iter().find(|r| r.id == "r").unwrap();
        let e = r.allow.secret_entry(b"k1open").unwrap();
        assert_eq!(
            format!("{} in {}", r.allow.entry_name(e), r.allow.entry_place(e)),
            "rule `r` allow.stopwords[0] in cfg.yaml:13"
        );
        // A built-in rule's allowlist carries the lines build.rs read.
        let builtin = RuleSet::load_builtin(None).unwrap();
        let mut hf = builtin.rules.iter();
        let hf = hf.find(|r| r.id == "huggingface-access-token").unwrap();
        let e = hf.allow.secret_entry(b"hf_abcdefgh").unwrap();
        let line = include_str!("../../rules/ai.yaml")
            .lines()
            .position(|l| l.contains("allow: { regexes: ['^hf_"))
            .unwrap();
        let place = format!("rules/ai.yaml:{}", line + 1);
        assert_eq!(hf.allow.entry_place(e), place);
        for r in builtin.rules.iter().filter(|r| !r.allow.is_empty()) {
            assert!(r.allow.lines.iter().flatten().all(|&n| n > 0), "{}", r.id);
        }
    }

    #[test]
    fn disable_unknown_id_is_an_error() {
        let e = load("disable: [nope]\n").unwrap_err();
        assert_eq!(e.rule.as_deref(), Some("nope"));
    }
}
