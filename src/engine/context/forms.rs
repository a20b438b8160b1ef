//! The assignment forms the grammar recognises, declared: each with an example line and
//! what the parser yields for it. The parser is hand-written (an operator decides the value
//! syntax, a preceding word the operator), so the table does not drive it; it documents it,
//! and a test holds the two together: every example parses to exactly what its form says,
//! through the branches it names, and every branch of the parser is named by some form.
//! The same examples open `tests/data/context_cases.txt`.

use super::branches::Branch::{self, *};

/// One form: its name, an example, what the parser yields for the example (as in
/// `tests/data/context_cases.txt`: `name | value`, `"value"` for a literal, `(describes)`
/// after a name that only names a secret, ` ⟶ ` between assignments, `∅` for none), and
/// the branches the example goes through.
#[cfg_attr(not(test), allow(dead_code))]
pub(super) struct Form {
    pub form: &'static str,
    pub example: &'static str,
    pub yields: &'static str,
    pub branches: &'static [Branch],
}

/// Every form the grammar knows, with the forms it refuses. Examples use `changeme`, a
/// placeholder, so that leakguard's scan of itself stays quiet.
#[cfg_attr(not(test), allow(dead_code))]
pub(super) const FORMS: &[Form] = &[
    // ---- Operators ----
    Form {
        form: "NAME=value: env, properties, shell, logs",
        example: "API_KEY=changeme",
        yields: "apikey | changeme",
        branches: &[Equals, Unquoted],
    },
    Form {
        form: r#"name = "value": code"#,
        example: r#"api_key = "changeme""#,
        yields: r#"apikey | "changeme""#,
        branches: &[Equals, Quoted],
    },
    Form {
        form: "export NAME=value: shell",
        example: "export API_KEY=changeme",
        yields: "apikey | changeme",
        branches: &[Equals],
    },
    Form {
        form: "name: value: YAML, HTTP headers",
        example: "api_key: changeme",
        yields: "apikey | changeme",
        branches: &[Colon, Unquoted],
    },
    Form {
        form: r#""name": "value": JSON, dicts"#,
        example: r#""api_key": "changeme","#,
        yields: r#"apikey | "changeme""#,
        branches: &[Colon, Quoted],
    },
    Form {
        form: "name := value: Go",
        example: r#"apiKey := "changeme""#,
        yields: r#"apikey | "changeme""#,
        branches: &[ArrowOrWalrus],
    },
    Form {
        form: "'name' => value: PHP arrays, Ruby hashes",
        example: "'api_key' => 'changeme',",
        yields: r#"apikey | "changeme""#,
        branches: &[ArrowOrWalrus],
    },
    Form {
        form: "NAME ?= value: Makefiles",
        example: "API_KEY ?= changeme",
        yields: "apikey | changeme",
        branches: &[Conditional],
    },
    Form {
        form: "name ||= value, name ??= value",
        example: r#"apiKey ||= "changeme""#,
        yields: r#"apikey | "changeme""#,
        branches: &[Conditional],
    },
    // ---- Typed declarations ----
    Form {
        form: "NAME: &'static str = value: Rust, TypeScript, Kotlin",
        example: r#"const API_KEY: &'static str = "changeme";"#,
        yields: r#"apikey | "changeme" ⟶ static | "changeme" ⟶ str | "changeme""#,
        branches: &[Typed],
    },
    Form {
        form: "NAME: Final[str] = value: Python annotations",
        example: r#"API_KEY: Final[str] = "changeme""#,
        yields: r#"apikey | "changeme" ⟶ final | "changeme""#,
        branches: &[Typed],
    },
    Form {
        form: "var name Type = value: Go",
        example: r#"var apiKey string = "changeme""#,
        yields: r#"apikey | "changeme" ⟶ string | "changeme""#,
        branches: &[SpacedType],
    },
    Form {
        form: "name: Type = String::from(value): a constructor around the literal",
        example: r#"let api_key: String = String::from("changeme");"#,
        yields: r#"apikey | "changeme" ⟶ string | "changeme""#,
        branches: &[Typed, Constructor],
    },
    Form {
        form: "$p = ConvertTo-SecureString value: PowerShell",
        example: r#"$p = ConvertTo-SecureString "changeme" -AsPlainText"#,
        yields: r#"p | "changeme""#,
        branches: &[Equals, Constructor],
    },
    Form {
        form: r#"name = b"value": a string prefix"#,
        example: r#"api_key = b"changeme""#,
        yields: r#"apikey | "changeme""#,
        branches: &[StringPrefix],
    },
    // ---- Names in calls, indexes and properties ----
    Form {
        form: r#"define("NAME", "value"): call arguments (define, setenv, headers.set)"#,
        example: "define('API_KEY', 'changeme');",
        yields: r#"apikey | "changeme""#,
        branches: &[CallArgument],
    },
    Form {
        form: r#"env["NAME"] = value: a quoted index"#,
        example: r#"os.environ["API_KEY"] = "changeme""#,
        yields: r#"apikey | "changeme""#,
        branches: &[QuotedIndex, Equals],
    },
    Form {
        form: "name[] = value: C arrays, PHP appends",
        example: r#"static char api_key[] = "changeme";"#,
        yields: r#"char | "changeme" ⟶ apikey | "changeme""#,
        branches: &[Index],
    },
    Form {
        form: "Name { get; set; } = value: C# auto-properties",
        example: r#"public string ApiKey { get; set; } = "changeme";"#,
        yields: r#"apikey | "changeme""#,
        branches: &[Property],
    },
    Form {
        form: "$env:NAME = value: PowerShell",
        example: r#"$env:API_KEY = "changeme""#,
        yields: r#"env (describes) | "changeme" ⟶ apikey | "changeme""#,
        branches: &[Equals],
    },
    // ---- Keywords, flags and SQL ----
    Form {
        form: "ENV NAME value: Dockerfile ENV and ARG, set, setx",
        example: "ENV API_KEY changeme",
        yields: "apikey | changeme",
        branches: &[Keyword, Unquoted],
    },
    Form {
        form: "--flag value",
        example: "tool --api-key changeme",
        yields: "apikey | changeme",
        branches: &[Flag],
    },
    Form {
        form: "--flag=value",
        example: "tool --api-key=changeme",
        yields: "apikey | changeme",
        branches: &[Equals],
    },
    Form {
        form: "IDENTIFIED BY 'value': SQL, named password",
        example: "CREATE USER app IDENTIFIED BY 'changeme';",
        yields: r#"password | "changeme""#,
        branches: &[IdentifiedBy],
    },
    Form {
        form: "PASSWORD 'value': SQL, Ruby DSLs",
        example: "ALTER ROLE app WITH PASSWORD 'changeme';",
        yields: r#"password | "changeme""#,
        branches: &[SpacedLiteral],
    },
    Form {
        form: r#"Header "Scheme value": nginx, named authorization"#,
        example: r#"proxy_set_header Authorization "Bearer changeme";"#,
        yields: r#"authorization | "changeme""#,
        branches: &[SpacedLiteral, AuthScheme],
    },
    // ---- HTTP headers and auth schemes ----
    Form {
        form: "Authorization: Bearer value: the scheme skipped",
        example: "Authorization: Bearer changeme",
        yields: "authorization | changeme",
        branches: &[Colon, AuthScheme],
    },
    Form {
        form: r#""Header: value": a header inside a string"#,
        example: r#"curl -H "X-Api-Key: changeme" https://example.com"#,
        yields: r#"xapikey | "changeme" ⟶ https | //example.com"#,
        branches: &[InString],
    },
    Form {
        form: r#"\"name\" = \"value\": quotes escaped (notebooks, JSON-held code)"#,
        example: r#""    api_key = \"changeme\"\n","#,
        yields: r#"apikey | "changeme""#,
        branches: &[Equals, Quoted],
    },
    // ---- XML ----
    Form {
        form: "<name>value</name>",
        example: "<apiKey>changeme</apiKey>",
        yields: r#"apikey | "changeme""#,
        branches: &[Element],
    },
    Form {
        // `"ApiKey" value="…"` reads as `var name Type = …`: the pair is found before
        // `pair_name_and_value` looks for it.
        form: r#"key="NAME" value="value": .NET appSettings"#,
        example: r#"<add key="ApiKey" value="changeme" />"#,
        yields: r#"key | "ApiKey" ⟶ apikey | "changeme" ⟶ value | "changeme""#,
        branches: &[SpacedType],
    },
    Form {
        form: r#""name": "NAME", "value": "value": task definitions, env lists"#,
        example: r#"{"name": "API_KEY", "value": "changeme"}"#,
        yields: r#"name (describes) | "API_KEY" ⟶ value | "changeme" ⟶ apikey | "changeme""#,
        branches: &[Pair],
    },
    // ---- Command lines (commands.rs), named password ----
    Form {
        form: "mysql -pvalue: attached to the flag",
        example: "mysql -u root -pchangeme reports",
        yields: r#"password | "changeme""#,
        branches: &[AttachedFlag],
    },
    Form {
        form: "redis-cli -a value: the next word",
        example: "redis-cli -h cache -a changeme INFO",
        yields: r#"password | "changeme""#,
        branches: &[NextWord],
    },
    Form {
        form: "curl -u user:value: after the colon",
        example: "curl -u deploy:changeme https://example.com",
        yields: r#"deploy | changeme ⟶ https | //example.com ⟶ password | "changeme""#,
        branches: &[AfterColon],
    },
    // ---- Names that only name a secret ----
    Form {
        form: "tokenId = value: found, marked as describing",
        example: r#"tokenId = "changeme""#,
        yields: r#"tokenid (describes) | "changeme""#,
        branches: &[Equals],
    },
    // ---- Several lines (blocks.rs) ----
    Form {
        form: "name: | then the value: a YAML block scalar",
        example: "signing_secret: |\n  changeme",
        yields: r#"signingsecret | | ⟶ signingsecret | "changeme""#,
        branches: &[BlockScalar],
    },
    Form {
        form: "parent: then   name: value: a YAML mapping",
        example: "mufi:\n  api_key: changeme",
        yields: "mufi.apikey | changeme",
        branches: &[Mapping],
    },
    Form {
        form: "- name: NAME then   value: value: Kubernetes and Compose env lists",
        example: "- name: API_KEY\n  value: changeme",
        yields: "name (describes) | API_KEY ⟶ apikey | changeme",
        branches: &[ListEntry],
    },
    Form {
        form: "a,b,name header then rows: CSV and TSV columns",
        example: "id,customer,api_key\n1,acme,changeme",
        yields: r#"id (describes) | "1" ⟶ customer | "acme" ⟶ apikey | "changeme""#,
        branches: &[Columns],
    },
    // ---- Refused ----
    Form {
        form: "Foo::NAME: a path in code",
        example: "Kind::API_KEY => 1,",
        yields: "∅",
        branches: &[NotAName],
    },
    Form {
        form: "arn:…:name: a segment of a value",
        example: "arn:aws:secretsmanager:us-east-1:1:secret:token",
        yields: "arn (describes) | aws:secretsmanager:us-east-1:1:secret:token",
        branches: &[NotAName],
    },
    Form {
        form: "name == value: a comparison",
        example: r#"if token == "changeme":"#,
        yields: "∅",
        branches: &[Comparison],
    },
    Form {
        form: "name = f(…): a call",
        example: "token = get_token(name)",
        yields: "∅",
        branches: &[NotAValue],
    },
    Form {
        form: "name: value${VAR}: a template",
        example: "api_key: changeme${SUFFIX}",
        yields: "∅",
        branches: &[NotAValue],
    },
    Form {
        form: "<Name> f(…): a C++ template, not an element",
        example: "static bssl::UniquePtr<EVP_PKEY> dsa_keygen(bssl::UniquePtr<EVP_PKEY> &params,",
        yields: "∅",
        branches: &[Unclosed],
    },
];

#[cfg(test)]
mod tests {
    use super::super::branches::{record, ALL};
    use super::super::cases::{expectations, load, render};
    use super::*;

    #[test]
    fn every_form_yields_what_it_says_through_its_branches() {
        for f in FORMS {
            let mut got = Vec::new();
            let taken = record(|| got = render(f.example));
            assert_eq!(got, expectations(f.yields), "{}: {:?}", f.form, f.example);
            for b in f.branches {
                assert!(
                    taken.contains(b),
                    "{}: {:?} does not go through {b:?} (it took {taken:?})",
                    f.form,
                    f.example
                );
            }
        }
    }

    #[test]
    fn every_branch_is_named_by_a_form() {
        let named: Vec<Branch> = FORMS.iter().flat_map(|f| f.branches).copied().collect();
        let missing: Vec<_> = ALL.iter().filter(|b| !named.contains(b)).collect();
        assert!(missing.is_empty(), "branches no form names: {missing:?}");
    }

    /// The cases file opens with the forms' examples, yielding the same.
    #[test]
    fn every_form_is_a_case() {
        let cases = load();
        for f in FORMS {
            let case = cases.iter().find(|c| c.input == f.example);
            assert!(
                case.is_some_and(|c| c.expect == expectations(f.yields)),
                "{}: {:?} is not in the cases file, yielding {:?}",
                f.form,
                f.example,
                f.yields
            );
        }
    }
}
