//! The serde model of a rule file, exactly as users write it in YAML.
//!
//! Kept apart from the compiled form (`compile.rs`) so that the file format can grow
//! (new optional fields) without touching the engine. Unknown fields are rejected: a typo
//! in a security tool's config must fail loudly, not silently disable a check.

use serde::Deserialize;

use super::validation::ValidateBlock;

/// Text in a rule: borrowed from the binary for the built-in rules (which build.rs turns
/// into static data, so that loading them copies no strings), owned for a user config.
pub type Text = std::borrow::Cow<'static, str>;

/// A rule file or a user config: both have the same top level.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Keep the built-in rules (default) or replace them with this file's rules.
    #[serde(default)]
    pub extend_default: Option<bool>,
    /// Built-in rule ids to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Global allowlist applied to every rule.
    #[serde(default)]
    pub allow: Option<AllowSyntax>,
    /// Rules defined by this file.
    #[serde(default)]
    pub rules: Vec<RuleSyntax>,
}

/// One rule as written in YAML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    pub id: Text,
    pub description: Text,
    /// Who issues the secret (`Stripe`, `AWS`), or the format's name (`bcrypt hash`): what
    /// `docs/rules.md` groups by. Required of the built-in rules.
    #[serde(default)]
    pub issuer: Option<Text>,
    /// The issuer's documentation of the token's format (prefix, length, alphabet,
    /// checksum), as `https://` URLs: where a reviewer checks the regex.
    #[serde(default)]
    pub references: Vec<Text>,
    pub severity: Severity,
    #[serde(default)]
    pub keywords: Vec<Text>,
    #[serde(default)]
    pub regex: Option<Text>,
    /// Name-based rules: a regex over the normalized name a value is given to
    /// (lowercase, `_`/`-` dropped, `.` between segments; see `engine/context/names.rs`).
    #[serde(default)]
    pub name: Option<Text>,
    /// Name-based rules: a regex the whole value must match (group 1, if any, is the secret).
    #[serde(default)]
    pub value: Option<Text>,
    #[serde(default)]
    pub secret_group: Option<usize>,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Path globs: the rule fires on the file's path, not its content.
    #[serde(default)]
    pub paths: Vec<Text>,
    /// Name-and-entropy rules: lowest rank when several rules match one secret, skipped on
    /// binary files.
    #[serde(default)]
    pub generic: bool,
    /// The secret is chosen by a person (a password in a URL or connection string): it must
    /// also pass the randomness test (no words, runs or placeholders). Name rules always do.
    #[serde(default)]
    pub randomness: bool,
    /// Words that, when present on the matched line, make this rule the most specific one.
    #[serde(default)]
    pub context: Vec<Text>,
    /// Tie-breaker between rules matching the same secret (higher wins).
    #[serde(default)]
    pub priority: i32,
    /// Let the regex span lines (a name rule: look at every line of a file holding a
    /// keyword); otherwise the rule only sees the lines holding a keyword.
    #[serde(default)]
    pub multiline: bool,
    /// What the rule finds: a secret (the default), or an identifier that is only reported
    /// as the companion of a secret whose rule names it in `pair`.
    #[serde(default)]
    pub kind: RuleKind,
    /// `kind: exposure` rules: who else can read what the match names (`browser-name`, the
    /// default; `log`; `browser-storage`).
    #[serde(default)]
    pub exposes: Option<Exposes>,
    /// `kind: exposure` rules: what group 1 must name to be reported (by default, what
    /// `exposes` implies: `browser-secret`, `secret`, `server-secret`).
    #[serde(default)]
    pub group_names: Option<GroupNames>,
    /// `kind: exposure` rules: a regex run over group 1 of each match (a block: the keys of
    /// an `env: { … }`, the names of an `import { … }`), each of its matches a finding whose
    /// first group that took part is the name.
    #[serde(default)]
    pub each: Option<Text>,
    /// The secret works only with a companion found near it: an account or key id.
    #[serde(default)]
    pub pair: Option<PairSyntax>,
    /// A checksum the secret must carry (for formats that have one).
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// Rules this one may legitimately match the same text as (checked by `rules test`).
    #[serde(default)]
    pub overlaps: Vec<Text>,
    #[serde(default)]
    pub allow: Option<AllowSyntax>,
    #[serde(default)]
    pub remediation: Option<Text>,
    #[serde(default)]
    pub examples: Examples,
    /// How to ask the issuer whether a found secret still works (`--validate`).
    #[serde(default)]
    pub validate: Option<ValidateBlock>,
    /// A built-in rule's `validate:` block as the JSON build.rs wrote, parsed only when a
    /// check is asked for (never set from YAML).
    #[serde(skip)]
    pub validate_json: Option<&'static str>,
}

/// What a rule finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A secret: reported.
    #[default]
    Secret,
    /// An account or key id (a Twilio Account SID): not secret, never reported alone, but
    /// what a paired secret needs to be checked and understood.
    Identifier,
    /// A variable name that exposes a secret (a server secret named with a prefix that a
    /// framework ships to browsers): the match is the name, shown unredacted; any secret
    /// value under it is reported by its own rule.
    Exposure,
}

/// Who else can read what an `exposure` rule's match names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exposes {
    /// Every browser that loads the app: a server secret under a name a framework inlines
    /// into its bundle (`NEXT_PUBLIC_STRIPE_SECRET_KEY`).
    #[default]
    BrowserName,
    /// Whoever reads the logs: a secret given as it is to a log or print call.
    Log,
    /// Every script on the page: a secret put in `localStorage`, `sessionStorage` or a
    /// cookie set from script.
    BrowserStorage,
}

impl Exposes {
    /// The name rule files and `rules list` use (the finding's exposure says it the same way).
    pub fn as_str(self) -> &'static str {
        match self {
            Exposes::BrowserName => "browser-name",
            Exposes::Log => "log",
            Exposes::BrowserStorage => "browser-storage",
        }
    }

    /// The test group 1 passes unless the rule says otherwise.
    pub fn group_names(self) -> GroupNames {
        match self {
            Exposes::BrowserName => GroupNames::BrowserSecret,
            Exposes::Log => GroupNames::Secret,
            Exposes::BrowserStorage => GroupNames::ServerSecret,
        }
    }
}

/// What an `exposure` rule's group 1 must name (`engine/exposure.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupNames {
    /// A variable name with a browser prefix and a server-secret word, not public by design
    /// and not a descriptor (`NEXT_PUBLIC_STRIPE_SECRET_KEY`).
    BrowserSecret,
    /// A reference to a secret-named value as it is (`token`, `self.api_key`,
    /// `process.env.X_API_KEY`): not a descriptor (`token_type`), not derived or masked
    /// (`masked_token`, `hasPassword`).
    Secret,
    /// As `secret`, but not the credential an app keeps for its own signed-in user
    /// (`accessToken`, `authToken`) unless read from the environment: an API key, a secret,
    /// a password, a private key (`apiKey`, `STRIPE_SECRET_KEY`, `process.env.X_TOKEN`).
    ServerSecret,
}

/// `pair:`: the companion a secret works with (`AccountSid` + auth token, key id + key
/// secret). The secret's finding carries the nearest one and absorbs its finding, so the
/// pair is reported once; validation can send it as `{{pair}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSyntax {
    /// The companion's rule (an `identifier` rule, or a secret rule such as an access key id).
    pub rule: Text,
    /// How near: a number of lines either way, or `file`.
    pub within: Within,
    /// Report the secret only when its companion is there: for a secret whose name alone
    /// says too little (`key_secret:` next to a Razorpay key id).
    #[serde(default)]
    pub required: bool,
}

/// How far from a secret its companion may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    Lines(u32),
    File,
}

impl<'de> Deserialize<'de> for Within {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Within, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Lines(u32),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Lines(n) => Ok(Within::Lines(n)),
            Raw::Word(w) if w == "file" => Ok(Within::File),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "`within: {w}`: give a number of lines or `file`"
            ))),
        }
    }
}

impl RuleSyntax {
    /// The checks that need no regex or glob engine: id, keywords, entropy and which fields
    /// go together. The build script runs them on the built-in rules (so a broken built-in
    /// rule fails the build), the loader on every rule.
    pub fn check(&self) -> Result<(), String> {
        if self.id.is_empty()
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(
                "id must be non-empty and use only letters, digits, `-`, `_` and `.`".into(),
            );
        }
        if self.keywords.iter().any(|k| k.is_empty()) {
            return Err("keywords must not be empty strings".into());
        }
        if let Some(e) = self.min_entropy {
            if !(0.0..=8.0).contains(&e) {
                return Err(format!(
                    "min_entropy must be between 0 and 8 bits per byte, got {e}"
                ));
            }
        }
        if !self.paths.is_empty() && (self.regex.is_some() || self.name.is_some()) {
            return Err("a rule has `paths` (file names) or content patterns (`regex`, `name` + `value`), not both".into());
        }
        if self.name.is_some() != self.value.is_some() {
            return Err("`name` and `value` go together".into());
        }
        if self.name.is_some() && self.secret_group.is_some() {
            return Err("`secret_group` applies to `regex` rules only (a `value` regex's group 1 is the secret)".into());
        }
        if self.paths.is_empty() && self.regex.is_none() && self.name.is_none() {
            return Err("a rule needs `regex`, `name` + `value`, or `paths`".into());
        }
        if let Some(r) = self.references.iter().find(|r| !r.starts_with("https://")) {
            return Err(format!("references must be https:// URLs, got `{r}`"));
        }
        if self.validate.is_some() && !self.paths.is_empty() {
            return Err(
                "a path rule finds a file, not a secret: it has nothing to `validate`".into(),
            );
        }
        if self.kind == RuleKind::Identifier
            && (self.validate.is_some() || self.pair.is_some() || !self.paths.is_empty())
        {
            return Err("an `identifier` rule finds a companion for other rules' secrets: it has no `paths`, `pair` or `validate` of its own".into());
        }
        if self.kind == RuleKind::Exposure
            && (self.regex.is_none() || self.validate.is_some() || self.pair.is_some())
        {
            return Err("an `exposure` rule finds a name with a `regex` (its group 1 the name): it has no `name`, `paths`, `pair` or `validate`".into());
        }
        if self.kind != RuleKind::Exposure
            && (self.exposes.is_some() || self.group_names.is_some() || self.each.is_some())
        {
            return Err(
                "`exposes`, `group_names` and `each` belong to `kind: exposure` rules".into(),
            );
        }
        if let Some(p) = &self.pair {
            if !self.paths.is_empty() {
                return Err("a path rule finds a file: it has no `pair`".into());
            }
            if p.rule == self.id {
                return Err("a rule cannot `pair` with itself".into());
            }
        }
        if let Some(v) = &self.validate {
            if v.spec.uses_pair() && self.pair.is_none() {
                return Err(
                    "validate: the request sends `{{pair}}`, but the rule declares no `pair`"
                        .into(),
                );
            }
        }
        for (field, pattern) in self.patterns() {
            if pattern.contains('\n') && !pattern.trim_start().starts_with("(?x)") {
                return Err(format!(
                    "{field}: a pattern over several lines must start with `(?x)` (whitespace and `#` comments ignored)"
                ));
            }
        }
        Ok(())
    }

    /// The rule's patterns as written, by field.
    pub fn patterns(&self) -> impl Iterator<Item = (&'static str, &Text)> {
        [
            ("regex", &self.regex),
            ("name", &self.name),
            ("value", &self.value),
        ]
        .into_iter()
        .filter_map(|(field, p)| p.as_ref().map(|p| (field, p)))
    }

    /// What makes a rule hard to review, which `rules test` and the build refuse but a
    /// config still loads with: a pattern on one line longer than [`MAX_LINE_PATTERN`]
    /// characters (write it as a commented `(?x)` pattern over several lines, or name its
    /// pieces as fragments), and a `(?x)` line as long.
    pub fn style_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (field, pattern) in self.patterns() {
            for line in pattern.lines() {
                let n = line.trim().chars().count();
                if n > MAX_LINE_PATTERN {
                    let how = if pattern.contains('\n') {
                        "split it further"
                    } else {
                        "write it as a commented `(?x)` pattern over several lines"
                    };
                    problems.push(format!(
                        "{field}: a {n}-character pattern line (at most {MAX_LINE_PATTERN}): {how}"
                    ));
                }
            }
        }
        problems
    }
}

/// The longest pattern line a reviewer is asked to read at a glance.
pub const MAX_LINE_PATTERN: usize = 120;

/// Allowlist entries: by path glob, by regex on the secret, or by stopword in the secret.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowSyntax {
    #[serde(default)]
    pub paths: Vec<Entry>,
    #[serde(default)]
    pub regexes: Vec<Entry>,
    #[serde(default)]
    pub stopwords: Vec<Entry>,
}

/// An allowlist entry and the line of its file it is written on (0: unknown). `--explain`
/// names an entry by its list, position and line, never by its text: a regex or stopword
/// may be the very secret it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub text: Text,
    pub line: u32,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Entry, D::Error> {
        let s = serde_saphyr::Spanned::<String>::deserialize(d)?;
        Ok(Entry {
            text: Text::Owned(s.value),
            line: u32::try_from(s.referenced.line()).unwrap_or(0),
        })
    }
}

/// Inputs that must and must not produce a finding of the rule. For path rules they are paths.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default, rename = "match")]
    pub matches: Vec<Text>,
    #[serde(default)]
    pub no_match: Vec<Text>,
}

/// Checksums built into some token formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checksum {
    /// GitHub and npm: the last 6 characters are the base62 CRC32 of the 30 before them.
    Crc32Base62,
}

/// How bad a leak is. Ordered, so `--fail-on`-style gates can compare.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
