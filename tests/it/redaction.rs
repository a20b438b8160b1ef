//! No output of any command, in any format, ever carries a planted secret unless
//! `--show-secrets` is given: stdout, stderr, `--output` files and the baseline.

use crate::util::{monime, Repo};

/// The part of a planted token that must never be printed (everything after the 4 characters
/// redaction may show past the `mon_` prefix).
fn hidden(token: &str) -> &str {
    &token[8..]
}

fn planted() -> (Repo, Vec<String>) {
    let r = Repo::new();
    let tokens: Vec<String> = (40..44).map(monime).collect();
    r.write("a.txt", "start\n");
    r.commit_all("init");
    r.write("committed.py", format!("T = '{}'\n", tokens[0]));
    r.write(
        "allowed.py",
        format!("T = '{}'  # leakguard:allow\n", tokens[1]),
    );
    r.commit_all("leak");
    r.write("staged.py", format!("T = '{}'\n", tokens[2]));
    r.git(&["add", "staged.py"]);
    r.write("baselined.py", format!("T = '{}'\n", tokens[3]));
    let out = r
        .cmd(&["baseline", "-f", "base.json", "scan", "baselined.py"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    (r, tokens)
}

fn assert_clean(what: &str, text: &[u8], tokens: &[String]) {
    let text = String::from_utf8_lossy(text);
    for t in tokens {
        assert!(!text.contains(hidden(t)), "{what} leaks {t}:\n{text}");
    }
}

#[test]
fn nothing_leaks_from_any_command_or_format() {
    let (r, tokens) = planted();
    assert_clean(
        "baseline file",
        &std::fs::read(r.path().join("base.json")).unwrap(),
        &tokens,
    );
    let commands: [&[&str]; 4] = [
        &["scan", "."],
        &["staged"],
        &["history", "--all"],
        &["history", "--range", "HEAD~1..HEAD"],
    ];
    let mut reported = 0;
    for cmd in commands {
        for format in ["text", "json", "sarif"] {
            for extra in [&[][..], &["--explain", "--baseline", "base.json"][..]] {
                let args = [cmd, &["--format", format], extra].concat();
                let out = r.cmd(&args).output().unwrap();
                let what = args.join(" ");
                assert!(matches!(out.status.code(), Some(0 | 1)), "{what}: {out:?}");
                reported += usize::from(out.status.code() == Some(1));
                assert_clean(&format!("stdout of {what}"), &out.stdout, &tokens);
                assert_clean(&format!("stderr of {what}"), &out.stderr, &tokens);
                let file = r.path().join("report.out");
                let out = r
                    .cmd(&[&args[..], &["-o", "report.out"]].concat())
                    .output()
                    .unwrap();
                assert!(matches!(out.status.code(), Some(0 | 1)));
                assert_clean(
                    &format!("-o of {what}"),
                    &std::fs::read(&file).unwrap(),
                    &tokens,
                );
            }
        }
    }
    assert!(
        reported >= 12,
        "the scans did find the secrets ({reported} runs with findings)"
    );
}

#[test]
fn show_secrets_does_print_them() {
    let (r, tokens) = planted();
    for format in ["text", "json", "sarif"] {
        let out = r
            .cmd(&["scan", ".", "--show-secrets", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&tokens[0]), "{format}: {text}");
    }
}

#[test]
fn errors_do_not_echo_secrets() {
    let r = Repo::new();
    let token = monime(45);
    // A malformed config holding a secret.
    r.write(
        ".leakguard.yaml",
        format!("allow:\n  regexes: ['{token}'\n"),
    );
    let out = r.cmd(&["scan", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".leakguard.yaml"), "names the file: {err}");
    assert_clean("config error", &out.stderr, std::slice::from_ref(&token));
}

#[test]
fn a_secret_in_a_file_name_is_redacted_everywhere() {
    let r = Repo::new();
    let in_name = monime(46);
    let in_body = monime(47);
    let name = format!("keys/{in_name}.py");
    r.write("a.txt", "x\n");
    r.commit_all("init");
    r.write(&name, format!("T = '{in_body}'\n"));
    r.git(&["add", "-A"]);
    let tokens = vec![in_name.clone(), in_body.clone()];
    for args in [
        &["scan", "."][..],
        &["staged"][..],
        &["scan", ".", "--format", "json"][..],
        &["scan", ".", "--format", "sarif"][..],
    ] {
        let out = r.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_clean(&format!("{args:?}"), &out.stdout, &tokens);
        assert_clean(&format!("{args:?}"), &out.stderr, &tokens);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&in_name[..8]),
            "the name is still recognisable: {text}"
        );
    }
    r.commit_all("leak in a name");
    let out = r.cmd(&["history", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_clean("history", &out.stdout, &tokens);
    // An error path: a FIFO named after a secret is skipped with a warning that names it.
    #[cfg(unix)]
    {
        let fifo = r.path().join(format!("{in_name}.pipe"));
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(ok.success());
        let out = r.cmd(&["scan", "."]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(".pipe"), "{err}");
        assert_clean("warning", &out.stderr, &tokens);
    }
}
