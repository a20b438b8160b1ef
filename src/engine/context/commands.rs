//! Command lines whose tools take a password in a short flag: `mysql -pSECRET`,
//! `redis-cli -a SECRET`, `sshpass -p SECRET`, `curl -u user:SECRET`. Separate from the
//! line parser because here the name is the tool and its flag, not a word of the line: the
//! value is named `password`. The tools and flags are in `vocabulary.yaml`.

use super::branches::{took, Branch};
use super::quotes::{is_blank, is_quote, skip_blanks, strip_quotes};
use super::vocabulary::{TOOLS, TOOL_FLAGS};
use super::Assignment;

/// Where a tool's flag puts the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Take {
    /// In the flag's own word: `-pSECRET`.
    Attached,
    /// The next word: `-a SECRET`.
    Next,
    /// After the colon of the next word: `-u user:SECRET`.
    AfterColon,
}

/// Appends the passwords of the command line `line` to `out`.
pub(super) fn command_flags(line: &[u8], out: &mut Vec<Assignment>) {
    // Cheap first: a short flag (` -x`) must be on the line.
    if !line.windows(2).any(|w| w == b" -")
        || !TOOLS
            .iter()
            .any(|t| memchr::memmem::find(line, t).is_some())
    {
        return;
    }
    let tokens: Vec<(usize, &[u8])> = {
        let mut v = Vec::new();
        let mut i = 0;
        while i < line.len() {
            let s = skip_blanks(line, i);
            let e = s + line[s..]
                .iter()
                .position(|&b| is_blank(b))
                .unwrap_or(line.len() - s);
            if e > s {
                v.push((s, &line[s..e]));
            }
            i = e;
        }
        v
    };
    let mut tool: &[u8] = b"";
    for (n, &(at, tok)) in tokens.iter().enumerate() {
        if !tok.starts_with(b"-") {
            let base = tok.rsplit(|&b| b == b'/').next().unwrap_or(tok);
            if TOOLS.contains(&base) {
                tool = base;
            }
            continue;
        }
        let next = tokens.get(n + 1);
        let Some(&(_, flag, take)) = TOOL_FLAGS.iter().find(|&&(t, f, take)| {
            t == tool
                && match take {
                    Take::Attached => tok.len() > f.len() && tok.starts_with(f),
                    Take::Next | Take::AfterColon => tok == f,
                }
        }) else {
            continue;
        };
        let (s, v) = match take {
            Take::Attached => {
                took(Branch::AttachedFlag);
                (at + flag.len(), &tok[flag.len()..])
            }
            Take::Next => match next {
                Some(&(s, v)) => {
                    took(Branch::NextWord);
                    (s, v)
                }
                None => continue,
            },
            Take::AfterColon => match next {
                Some(&(s, v)) => match v.iter().position(|&b| b == b':') {
                    Some(c) => {
                        took(Branch::AfterColon);
                        (s + c + 1, &v[c + 1..])
                    }
                    None => continue,
                },
                None => continue,
            },
        };
        let v = strip_quotes(v);
        let s = s + usize::from(line[s] != v.first().copied().unwrap_or(0));
        let e = s + v.iter().position(|&b| is_quote(b)).unwrap_or(v.len());
        if e > s {
            out.push(Assignment {
                name: "password".into(),
                describes: false,
                start: s,
                end: e,
                quoted: true,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The passwords found on `line`.
    fn passwords(line: &str) -> Vec<&str> {
        let mut out = Vec::new();
        command_flags(line.as_bytes(), &mut out);
        out.iter().map(|a| &line[a.start..a.end]).collect()
    }

    /// Every tool with every flag of its entry gives the password, wherever the tool lives.
    #[test]
    fn every_tool_and_flag_gives_the_password() {
        for &(tool, flag, take) in TOOL_FLAGS {
            let (tool, flag) = (std::str::from_utf8(tool), std::str::from_utf8(flag));
            let (tool, flag) = (tool.unwrap(), flag.unwrap());
            let arg = match take {
                Take::Attached => format!("{flag}pw"),
                Take::Next => format!("{flag} pw"),
                Take::AfterColon => format!("{flag} user:pw"),
            };
            for line in [
                format!("{tool} -x 1 {arg} rest"),
                format!("/usr/bin/{tool} {arg}"),
            ] {
                assert_eq!(passwords(&line), ["pw"], "{line}");
            }
            assert!(passwords(&format!("other {arg}")).is_empty(), "{tool}");
        }
    }

    #[test]
    fn quotes_around_the_password_are_not_part_of_it() {
        assert_eq!(passwords("mysql -u root -p'pw' db"), ["pw"]);
        assert_eq!(passwords("sshpass -p \"pw\" ssh host"), ["pw"]);
        assert!(passwords("curl -u user https://x").is_empty());
        assert!(passwords("redis-cli -a").is_empty());
    }
}
