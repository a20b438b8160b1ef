//! `leakguard completions SHELL` and the hidden `leakguard man`: each script run or parsed by
//! its shell where the shell is installed, each page rendered by groff (or man) where
//! installed. A missing shell or renderer skips that part, never the whole test.

// What a missing tool skipped is said on stderr.
#![allow(clippy::print_stderr)]

use std::path::Path;
use std::process::{Command, Output};

use crate::util::{leakguard, Tree};

/// The subcommands `leakguard --help` lists (`help` aside): what users should be offered.
fn visible_subcommands() -> Vec<String> {
    let out = leakguard().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let commands = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands section");
    let names: Vec<String> = commands
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    for name in [
        "scan",
        "staged",
        "history",
        "audit",
        "report",
        "completions",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n == "man"),
        "`man` is hidden: {names:?}"
    );
    names
}

/// `leakguard completions SHELL`'s stdout, which must succeed with nothing on stderr.
fn script(shell: &str) -> String {
    let out = leakguard().args(["completions", shell]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Whether `program` is on PATH; when not, says which part of the test is skipped.
fn installed(program: &str, skipped: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v \"$1\"", "sh", program])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED: {program} is not installed: {skipped}");
    }
    found
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What bash offers for `line` (the last word being completed; a trailing space starts an
/// empty one), from the function the script registers with `complete -F`.
fn bash_complete(script: &Path, function: &str, line: &str) -> Vec<String> {
    // What bash's programmable completion sets before calling the function.
    let complete = r#"
        source "$1" || exit 1
        line=$2
        read -ra COMP_WORDS <<< "$line"
        [[ $line == *' ' ]] && COMP_WORDS+=('')
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMP_LINE=$line
        COMP_POINT=${#line}
        "$3" leakguard "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" || exit 1
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", complete, "bash"])
        .arg(script)
        .args([line, function])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    text(&out).lines().map(str::to_string).collect()
}

#[test]
fn bash_offers_the_subcommands_and_flags() {
    let script = script("bash");
    // The function is whatever name the script hands to `complete -F`.
    let function = script
        .lines()
        .find_map(|l| l.trim().strip_prefix("complete -F "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a `complete -F FUNCTION` line")
        .to_string();
    let t = Tree::new();
    t.file("leakguard.bash", &script);
    let path = t.join("leakguard.bash");

    let offered = bash_complete(&path, &function, "leakguard ");
    for name in visible_subcommands() {
        assert!(offered.contains(&name), "{name} not offered: {offered:?}");
    }
    assert!(!offered.iter().any(|o| o == "man"), "{offered:?}");

    assert_eq!(bash_complete(&path, &function, "leakguard au"), ["audit"]);
    let mut flags = bash_complete(&path, &function, "leakguard audit --sh");
    flags.sort();
    assert_eq!(flags, ["--shard", "--shards", "--show-secrets"]);
    let mut flags = bash_complete(&path, &function, "leakguard audit --shar");
    flags.sort();
    assert_eq!(flags, ["--shard", "--shards"]);
    let values = bash_complete(&path, &function, "leakguard completions ");
    for shell in ["bash", "elvish", "fish", "powershell", "zsh"] {
        assert!(values.iter().any(|v| v == shell), "{shell}: {values:?}");
    }
}

#[test]
fn fish_completes_and_zsh_parses() {
    let subcommands = visible_subcommands();
    let t = Tree::new();
    for shell in ["zsh", "fish"] {
        let script = script(shell);
        for name in &subcommands {
            assert!(script.contains(name.as_str()), "{shell}: {name} missing");
        }
        t.file(shell, &script);
    }
    if installed("zsh", "zsh -n on the zsh script") {
        let out = Command::new("zsh").arg("-n").arg(t.join("zsh")).output();
        let out = out.unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    }
    if installed("fish", "fish's completion of the fish script") {
        let complete = "source $argv[1]; and complete --do-complete=$argv[2]";
        let run = |line: &str| {
            let out = Command::new("fish")
                .args(["--no-config", "-c", complete])
                .arg(t.join("fish"))
                .arg(line)
                .output()
                .unwrap();
            assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
            // Each line is a candidate, then a tab and its description.
            let lines = text(&out);
            let candidates = lines
                .lines()
                .map(|l| l.split('\t').next().unwrap_or_default());
            candidates.map(str::to_string).collect::<Vec<_>>()
        };
        let offered = run("leakguard ");
        for name in &subcommands {
            assert!(offered.contains(name), "{name} not offered: {offered:?}");
        }
        assert_eq!(run("leakguard au"), ["audit"]);
    }
}

#[test]
fn elvish_and_powershell_scripts_name_the_subcommands() {
    let subcommands = visible_subcommands();
    for shell in ["elvish", "powershell"] {
        let script = script(shell);
        for name in &subcommands {
            assert!(script.contains(name.as_str()), "{shell}: {name} missing");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = leakguard().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("'tcsh'"), "{stderr}");
    assert!(
        stderr.contains("zsh"),
        "the valid values are listed: {stderr}"
    );
}

/// Checks that `page` is a roff man page titled `title`, and, where groff or man is
/// installed, that it renders without a warning; returns the rendered text (else the roff,
/// unescaped).
fn check_page(title: &str, page: &str) -> String {
    // Comments and the preamble's conditionals (`.ie`/`.el`) may come before the title.
    let first = page
        .lines()
        .find(|l| !(l.starts_with(".\\\"") || l.starts_with(".ie") || l.starts_with(".el")))
        .unwrap_or_default();
    assert!(
        first.starts_with(&format!(".TH {title} 1 ")),
        "{title}: {first}"
    );
    let mut render = if installed("groff", "rendering with groff") {
        // -k: UTF-8 input, as man reads it; -ww: every warning; -P-cbou: plain text.
        let mut groff = Command::new("groff");
        groff.args(["-k", "-man", "-Tutf8", "-ww", "-P-cbou"]);
        groff
    } else if installed("man", "rendering with man") {
        // Without groff this is not man-db: no `--warnings`.
        let mut man = Command::new("man");
        man.args(["-l", "-"]);
        man
    } else {
        return page.replace("\\-", "-");
    };
    let mut child = render
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), page.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{title}: {out:?}"
    );
    // Some groff setups print `\-` as a minus sign or a hyphen.
    text(&out).replace(['\u{2212}', '\u{2010}'], "-")
}

#[test]
fn man_prints_one_page_naming_every_subcommand() {
    let out = leakguard().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    let page = String::from_utf8(out.stdout).unwrap();
    let rendered = check_page("leakguard", &page);
    // roff escapes every `-`.
    for text in [&page.replace("\\-", "-"), &rendered] {
        assert!(text.contains("leakguard"));
        for name in visible_subcommands() {
            assert!(
                text.contains(&format!("leakguard-{name}")),
                "{name}: {text}"
            );
        }
        // Neither the hidden command nor the `help` pseudo-command has a page.
        assert!(!text.contains("leakguard-man") && !text.contains("leakguard-help"));
    }
    assert!(rendered.contains("audit"));
}

#[test]
fn man_dir_writes_a_page_per_command() {
    let t = Tree::new();
    let out = t.cmd(&["man", "--dir", "share/man1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty());
    let dir = t.join("share/man1");
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{} man pages written", pages.len())),
        "{stderr}"
    );
    let mut expected = vec!["leakguard.1".to_string()];
    for name in visible_subcommands() {
        expected.push(format!("leakguard-{name}.1"));
    }
    // Nested commands get their own pages too.
    for nested in [
        "rules-list",
        "rules-test",
        "baseline-scan",
        "baseline-history",
    ] {
        expected.push(format!("leakguard-{nested}.1"));
    }
    expected.sort();
    assert_eq!(pages, expected);
    for page in &pages {
        let title = page.trim_end_matches(".1");
        let rendered = check_page(title, &std::fs::read_to_string(dir.join(page)).unwrap());
        assert!(rendered.contains("leakguard"), "{page}");
    }
    // The command's own page (`leakguard man` prints it) is the one written as leakguard.1.
    let stdout = leakguard().arg("man").output().unwrap().stdout;
    assert_eq!(std::fs::read(dir.join("leakguard.1")).unwrap(), stdout);
}
