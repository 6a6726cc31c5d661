//! The `fixkb` command line: `check` output and exit codes, `--help`.

use std::process::Command;

use crate::common::fixtures;

fn fixkb(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fixkb"))
        .args(args)
        .output()
        .expect("run fixkb")
}

#[test]
fn check_reports_file_line_and_fails_on_errors() {
    let dir = fixtures().join("broken");
    let out = fixkb(&["check", "--content", dir.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("bad-yaml.md:") && l.contains(": error: ")),
        "{stdout}"
    );
    assert!(
        stdout.contains("dup-id-b.md:2: error: id 5 is already used by dup-id-a.md"),
        "{stdout}"
    );
    assert!(
        stdout.contains("refs.md:3: error: fix `no-such-fix` does not exist"),
        "{stdout}"
    );
    assert!(
        stdout.contains("refs.md:5: warning: link to `missing.md` points to no article"),
        "{stdout}"
    );
}

#[test]
fn check_passes_on_valid_content() {
    let dir = fixtures().join("valid");
    let out = fixkb(&["check", "--content", dir.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 errors"));
}

#[test]
fn check_fails_clearly_on_missing_folder() {
    let out = fixkb(&["check", "--content", "/nonexistent/fixkb-content"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn help_names_every_flag_and_its_environment_variable() {
    let out = fixkb(&["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for (flag, env) in [
        ("--content", "FIXKB_CONTENT"),
        ("--data", "FIXKB_DATA"),
        ("--bind", "FIXKB_BIND"),
        ("--public-url", "FIXKB_PUBLIC_URL"),
    ] {
        assert!(
            help.contains(flag) && help.contains(env),
            "{flag}/{env} missing from:\n{help}"
        );
    }
}

#[test]
fn environment_variables_configure_check() {
    let dir = fixtures().join("broken");
    let out = Command::new(env!("CARGO_BIN_EXE_fixkb"))
        .arg("check")
        .env("FIXKB_CONTENT", &dir)
        .output()
        .expect("run fixkb");
    assert_eq!(out.status.code(), Some(1));
}
