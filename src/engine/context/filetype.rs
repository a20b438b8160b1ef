//! Which files are source code, guessed from the extension. Separate from the parser
//! because it is asked once per file (by `resolve`), not once per line, and because its
//! list of extensions (`vocabulary.yaml`, `code_extensions`) grows on its own.

use super::vocabulary::CODE_EXTENSIONS;

/// Source files of programming languages: there a secret is a string literal, and an
/// unquoted value is an identifier, a call or a type. Everything else (env, YAML, INI,
/// properties, shell, logs, docs) takes unquoted values.
pub(crate) fn is_code(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    CODE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_extension_is_code_in_any_case() {
        for ext in CODE_EXTENSIONS {
            assert!(is_code(&format!("src/app.{ext}")), "{ext}");
            assert!(
                is_code(&format!("APP.{}", ext.to_ascii_uppercase())),
                "{ext}"
            );
        }
        for path in [
            ".env",
            "config.yaml",
            "settings.ini",
            "Dockerfile",
            "rs",
            "a.rs/b",
        ] {
            assert!(!is_code(path), "{path}");
        }
    }
}
