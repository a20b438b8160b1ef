//! The context grammar: where a line gives a value to a name, in the syntaxes repositories
//! hold. Name-based rules declare `name:` (a regex over the normalized name) and `value:`
//! (a regex the whole value must match); this module is the one place that knows how
//! `NAME <op> VALUE` is written. In short:
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
mod line;
mod names;
mod quotes;
mod values;
mod vocabulary;

pub(crate) use blocks::extent;
pub(crate) use filetype::is_code;
pub(crate) use names::{describes, normalize};

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

#[cfg(test)]
mod tests {
    use super::*;

    /// `(name, value, quoted)` of every assignment that does not describe a secret.
    fn found(line: &str) -> Vec<(String, String, bool)> {
        let mut out = Vec::new();
        assignments(line.as_bytes(), &mut out);
        out.into_iter()
            .filter(|a| !a.describes)
            .map(|a| (a.name, line[a.start..a.end].to_string(), a.quoted))
            .collect()
    }

    /// The value given to a name containing `name`, if exactly one.
    fn value_of(line: &str, name: &str) -> Option<String> {
        let hits: Vec<_> = found(line)
            .into_iter()
            .filter(|(n, _, _)| n.replace('.', "").contains(name))
            .collect();
        match hits.as_slice() {
            [(_, v, _)] => Some(v.clone()),
            _ => None,
        }
    }

    #[test]
    fn every_syntax_gives_the_value() {
        let v = "Q7x9Lm2Pz8Kd4Rt6";
        for line in [
            format!("api_key = \"{v}\""),
            format!("API_KEY={v}"),
            format!("export API_KEY={v}"),
            format!("  api_key: {v}"),
            format!("\"api_key\": \"{v}\","),
            format!("apiKey := \"{v}\""),
            format!("APIKey: \"{v}\","),
            format!("const API_KEY: &'static str = \"{v}\";"),
            format!("let api_key: String = String::from(\"{v}\");"),
            format!("let api_key = \"{v}\".to_string();"),
            format!("String apiKey = new String(\"{v}\");"),
            format!("val apiKey: String = \"{v}\""),
            format!("API_KEY: Final[str] = \"{v}\""),
            format!("var apiKey string = \"{v}\""),
            format!("$api_key = '{v}';"),
            format!("'api_key' => '{v}',"),
            format!(":api_key => \"{v}\""),
            format!("define('API_KEY', '{v}');"),
            format!("os.environ[\"API_KEY\"] = \"{v}\""),
            format!("$env:API_KEY = \"{v}\""),
            format!("ENV API_KEY {v}"),
            format!("ARG API_KEY={v}"),
            format!("docker run -e API_KEY={v} app"),
            format!("tool --api-key {v}"),
            format!("tool --api-key={v}"),
            format!("<apiKey>{v}</apiKey>"),
            format!("<add key=\"ApiKey\" value=\"{v}\" />"),
            format!("{{\"name\": \"API_KEY\", \"value\": \"{v}\"}}"),
            format!("\"    api_key = \\\"{v}\\\"\\n\","),
            format!("\"cmd\": \"x = {{\\\\\\\"api_key\\\\\\\": \\\\\\\"{v}\\\\\\\"}}\""),
            format!("2024-05-01 [DEBUG] Using api_key={v} for request"),
            format!("static char api_key[] = \"{v}\";"),
            format!("api_key = b\"{v}\""),
            format!("api.key={v}"),
        ] {
            assert_eq!(value_of(&line, "apikey").as_deref(), Some(v), "{line}");
        }
    }

    #[test]
    fn headers_flags_and_sql() {
        let v = "Q7x9Lm2Pz8Kd4Rt6";
        for (line, name) in [
            (
                format!("curl -H \"Authorization: Bearer {v}\" https://x"),
                "authorization",
            ),
            (format!("curl -H 'X-Api-Key: {v}' https://x"), "xapikey"),
            (
                format!("headers: {{ Authorization: `Bearer {v}` }}"),
                "authorization",
            ),
            (
                format!("headers={{\"Authorization\": \"Token {v}\"}}"),
                "authorization",
            ),
            (format!("Authorization: Basic {v}"), "authorization"),
            (format!("Private-Token: {v}"), "privatetoken"),
            (
                format!("proxy_set_header Authorization \"Bearer {v}\";"),
                "authorization",
            ),
            (format!("CREATE USER app IDENTIFIED BY '{v}';"), "password"),
            (format!("ALTER ROLE app WITH PASSWORD '{v}';"), "password"),
            (
                format!("mysql -u root -p{v} reports < dump.sql"),
                "password",
            ),
            (format!("redis-cli -h cache -a {v} INFO"), "password"),
            (format!("curl -fsS -u deploy:{v} https://x"), "password"),
            (format!("httpHeaderValue1: \"Bearer {v}\""), "authorization"),
            (
                format!("public string MufiApiKey {{ get; set; }} = \"{v}\";"),
                "mufiapikey",
            ),
            (
                format!("$p = ConvertTo-SecureString \"{v}\" -AsPlainText"),
                "p",
            ),
        ] {
            assert_eq!(value_of(&line, name).as_deref(), Some(v), "{line}");
        }
    }

    /// `(name, value)` of a window's assignments, found as the engine finds them: the
    /// window reaches as far as [`extent`] says.
    fn in_window(text: &str) -> Vec<(String, String)> {
        let first = text.find('\n').unwrap_or(text.len());
        let end = extent(text.as_bytes(), (0, first));
        let mut out = Vec::new();
        assignments(&text.as_bytes()[..end], &mut out);
        out.into_iter()
            .map(|a| (a.name, text[a.start..a.end].to_string()))
            .collect()
    }

    #[test]
    fn names_and_values_on_different_lines() {
        let v = "Q7x9Lm2Pz8Kd4Rt6";
        let has = |text: &str, name: &str| {
            let found = in_window(text);
            assert!(
                found.iter().any(|(n, x)| n == name && x == v),
                "{text:?}: {found:?}"
            );
        };
        has(
            &format!("signing-secret: |\n    {v}\nnext: 1\n"),
            "signingsecret",
        );
        has(&format!("jwt_key: >-\n  {v}\n"), "jwtkey");
        has(&format!("mufi:\n  api_key: {v}\nother: 1\n"), "mufi.apikey");
        has(
            &format!("services:\n  mufi:\n    timeout: 3\n    key: \"{v}\"\n"),
            "services.mufi.key",
        );
        has(
            &format!("id,customer,api_key\n1,acme,{v}\n2,globex,\"{v}\"\n"),
            "apikey",
        );
        has(&format!("id\tplan\ttoken\n7\tpro\t{v}\n"), "token");
        has(
            &format!("  - name: DB_PASSWORD\n    value: \"{v}\"\n"),
            "dbpassword",
        );
        // The mapping ends where the indentation does.
        let found = in_window(&format!("mufi:\n  url: x\nkey: {v}\n"));
        assert!(
            found.iter().all(|(n, _)| n != "mufi.key" && n != "key"),
            "{found:?}"
        );
    }

    #[test]
    fn code_that_is_not_a_value() {
        for line in [
            "if token == \"abc\":",
            "Kind::SECRET_TOKEN => 1,",
            "token = get_token(name)",
            "\"AWS::ApiGateway::ApiKey\": \"48205d4ffd7feba3\"",
            "token != other",
            "is done by passing 'ubifs_tnc_remove_nm()' the same key",
            "_pass:[TEP_ERRNO__FILTER_MATCH]_ - filter found",
            "client-key-data: LS0tLS1CRUdJTi{{base64:20}}",
            "static bssl::UniquePtr<EVP_PKEY> dsa_keygen(bssl::UniquePtr<EVP_PKEY> &params,",
            "api_key: Q7x9Lm2Pz8Kd4Rt6${SUFFIX}",
        ] {
            let hits = found(line);
            let bad: Vec<_> = hits
                .iter()
                .filter(|(n, v, _)| {
                    (n.contains("token") || n.contains("key") || n.contains("secret"))
                        && !v.contains('.')
                })
                .collect();
            assert!(bad.is_empty(), "{line}: {hits:?}");
        }
    }
}
