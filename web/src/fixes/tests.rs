//! Engine tests: small in-memory fixes per language, the adversarial corpus through them and
//! through the real starter fixes, sh run under bash and dash, bytes, snapshots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn ctx() -> RenderContext {
    RenderContext {
        base_url: "https://kb.example".into(),
        article_url: Some("https://kb.example/kb/test-article".into()),
        revision: "rev123".into(),
    }
}

fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn fix(id: &str, toml: &str, templates: &[(&str, &str)]) -> Fix {
    parse_fix(id, toml, templates).unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content/fixes")
}

const PS_TOML: &str = r#"
title = "Test PowerShell fix"
summary = "Does a test."
language = "powershell"
template = "fix.ps1"
revert = "revert.ps1"
filename = "Test-Fix.ps1"
version = 3
requires_admin = true

[[params]]
name = "adapter"
label = "Adapter name"
type = "adapter_name"
required = true
default = "Ethernet 2"

[[params]]
name = "note"
label = "Note"
type = "text"

[[params]]
name = "min_seconds"
label = "Minimum wait"
type = "integer"
min = 1
max = 300
default = 1

[[params]]
name = "max_seconds"
label = "Maximum wait"
type = "integer"
min = 1
max = 300
default = 300

[[params]]
name = "offloads"
label = "Offloads"
type = "choices"
options = [{ value = "checksum", label = "Checksums" }, { value = "lso", label = "Large send" }]
default = ["checksum", "lso"]

[[params]]
name = "arguments"
label = "Arguments"
type = "text"
inner = ["cmd"]
default = "/quiet"

[[rules]]
check = "min_seconds <= max_seconds"
message = "The minimum wait must not exceed the maximum."
"#;

fn ps_fix() -> Fix {
    fix(
        "test-ps",
        PS_TOML,
        &[
            (
                "fix.ps1",
                "if ($PSCmdlet.ShouldProcess($Adapter, 'Test')) {\n    Write-Output $Adapter $Note\n}\n",
            ),
            ("revert.ps1", "Write-Output $Adapter\n"),
        ],
    )
}

const SH_TOML: &str = r#"
title = "Test sh fix"
summary = "Prints its values."
language = "sh"
template = "fix.sh"
filename = "test.sh"
version = 1
changes_state = false

[[params]]
name = "text"
label = "Text"
type = "text"
max_length = 4096
default = "x"

[[params]]
name = "path"
label = "Path"
type = "posix_path"
default = "/tmp/x"

[[params]]
name = "count"
label = "Count"
type = "integer"
min = -5
max = 5
default = 1
"#;

fn sh_fix() -> Fix {
    // `path` is reserved in sh fixes (PATH-like); rename it for the test.
    let toml = SH_TOML.replace("name = \"path\"", "name = \"target\"");
    fix(
        "test-sh",
        &toml,
        &[("fix.sh", "printf '%s\\0' \"$text\" \"$target\" \"$count\"\n")],
    )
}

const CMD_TOML: &str = r#"
title = "Test cmd fix"
summary = "Echoes."
language = "cmd"
template = "fix.cmd"
filename = "test.cmd"
version = 1
changes_state = false

[[params]]
name = "installer"
label = "Installer"
type = "windows_path"
default = 'C:\Setup\setup.exe'

[[params]]
name = "installer_args"
label = "Arguments"
type = "text"
default = "/quiet"
"#;

const REG_TOML: &str = r#"
title = "Test reg fix"
summary = "Sets a string."
language = "reg"
template = "fix.reg"
filename = "test.reg"
version = 1
changes_state = false

[[params]]
name = "value"
label = "Value"
type = "text"
default = "hello"

[[params]]
name = "number"
label = "Number"
type = "integer"
min = 0
max = 4294967295
default = 42
"#;

const XML_TOML: &str = r#"
title = "Test xml fix"
summary = "Builds XML."
language = "xml"
template = "fix.xml"
filename = "test.xml"
version = 1
changes_state = false

[[params]]
name = "name"
label = "Name"
type = "text"
default = "hello"

[[params]]
name = "command"
label = "Command path"
type = "windows_path"
default = 'C:\Setup\run.ps1'
inner = ["cmd"]
"#;

fn small_fixes() -> Vec<Fix> {
    vec![
        ps_fix(),
        sh_fix(),
        fix(
            "test-cmd",
            CMD_TOML,
            &[(
                "fix.cmd",
                "\"%INSTALLER%\" %INSTALLER_ARGS%\nexit /b %ERRORLEVEL%\n",
            )],
        ),
        fix(
            "test-reg",
            REG_TOML,
            &[(
                "fix.reg",
                "[HKEY_LOCAL_MACHINE\\SOFTWARE\\fixkb]\n\"Value\"=\"{{ value }}\"\n\"Number\"={{ number | dword }}\n",
            )],
        ),
        fix(
            "test-xml",
            XML_TOML,
            &[(
                "fix.xml",
                "<Root name=\"{{ name }}\">\n  <Text>{{ name }}</Text>\n  <CommandLine>cmd /c \"{{ command | cmd }}\"</CommandLine>\n</Root>\n",
            )],
        ),
    ]
}

#[test]
fn powershell_values_are_defaults_in_a_validated_param_block() {
    let script = render(
        &ps_fix(),
        &raw(&[("adapter", "it's ‘x’")]),
        &ctx(),
        ScriptKind::Fix,
    )
    .unwrap();
    let text = &script.text;
    assert!(
        text.contains("[CmdletBinding(SupportsShouldProcess)]\nparam("),
        "{text}"
    );
    assert!(text.contains("#Requires -RunAsAdministrator\n"));
    assert!(text.contains("[string]$Adapter = 'it''s ‘‘x’’'"), "{text}");
    assert!(text.contains("[ValidateRange(1, 300)]\n    [int]$MinSeconds = 1"));
    assert!(
        text.contains("[ValidateSet('checksum', 'lso')]\n    [string[]]$Offloads = @('checksum', 'lso')")
    );
    assert!(text.contains("$Adapter = $Adapter\n"));
    assert!(
        text.contains(r"[ValidatePattern('\A(?=[A-Za-z0-9 ._\-:\\/@+#]*\z)(?![\s\S]*\\\z)"),
        "{text}"
    );
}

#[test]
fn older_powershell_targets_get_an_explicit_elevation_check() {
    let toml = PS_TOML.replace("version = 3\n", "version = 3\npowershell_version = \"2.0\"\n");
    let f = fix(
        "test-ps2",
        &toml,
        &[
            (
                "fix.ps1",
                "if ($PSCmdlet.ShouldProcess($Adapter, 'Test')) { $Note }\n",
            ),
            ("revert.ps1", "$Adapter\n"),
        ],
    );
    let script = render(&f, &raw(&[]), &ctx(), ScriptKind::Fix).unwrap();
    assert!(
        !script.text.contains("#Requires -RunAsAdministrator"),
        "PowerShell 2.0 cannot read it"
    );
    assert!(
        script
            .text
            .contains("IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)")
    );
    assert!(check::check_fix(&f, &corpus::values()).is_empty());
}

#[test]
fn the_header_comes_from_trusted_content_only() {
    let script = render(
        &ps_fix(),
        &raw(&[("note", "INJECTED-INTO-HEADER")]),
        &ctx(),
        ScriptKind::Fix,
    )
    .unwrap();
    let header: Vec<&str> = script
        .text
        .lines()
        .take_while(|l| l.starts_with('#') && !l.starts_with("#Requires"))
        .collect();
    let joined = header.join("\n");
    assert!(joined.contains("# Test PowerShell fix"));
    assert!(joined.contains("Fix: test-ps version 3 (fixkb content revision rev123)"));
    assert!(joined.contains(&format!("Receipt: {}", script.receipt)));
    assert!(joined.contains("Article: https://kb.example/kb/test-article"));
    assert!(joined.contains("To revert:"));
    assert!(!joined.contains("INJECTED"), "{joined}");
}

#[test]
fn output_is_deterministic_and_the_receipt_names_the_values() {
    let f = ps_fix();
    let a = render(&f, &raw(&[("adapter", "Ethernet 2")]), &ctx(), ScriptKind::Fix).unwrap();
    let b = render(&f, &raw(&[("adapter", " Ethernet 2 ")]), &ctx(), ScriptKind::Fix).unwrap();
    assert_eq!(
        a.bytes, b.bytes,
        "trimmed and canonical values give the same bytes"
    );
    assert_eq!(a.sha256, crate::util::sha256_hex(&a.bytes));
    let c = render(&f, &raw(&[("adapter", "Ethernet 3")]), &ctx(), ScriptKind::Fix).unwrap();
    assert_ne!(a.receipt, c.receipt);
    let revert = render(&f, &raw(&[("adapter", "Ethernet 2")]), &ctx(), ScriptKind::Revert).unwrap();
    assert_eq!(
        a.receipt, revert.receipt,
        "fix and revert share the receipt of their values"
    );
    assert_eq!(revert.filename, "Test-Fix-Revert.ps1");
    let other_revision = RenderContext {
        revision: "rev999".into(),
        ..ctx()
    };
    let d = render(
        &f,
        &raw(&[("adapter", "Ethernet 2")]),
        &other_revision,
        ScriptKind::Fix,
    )
    .unwrap();
    assert_ne!(a.receipt, d.receipt);
}

#[test]
fn errors_name_the_field_and_the_character() {
    let f = ps_fix();
    let Err(RenderError::Invalid(errors)) = render(
        &f,
        &raw(&[("adapter", "Eth\u{202E}ernet")]),
        &ctx(),
        ScriptKind::Fix,
    ) else {
        panic!("accepted a bidi override")
    };
    assert_eq!(errors[0].param, "adapter");
    assert_eq!(
        errors[0].message,
        "Adapter name contains U+202E RIGHT-TO-LEFT OVERRIDE at position 4. Type the value again instead of pasting it."
    );
    let Err(RenderError::Invalid(errors)) = render(
        &f,
        &raw(&[("min_seconds", "200"), ("max_seconds", "100")]),
        &ctx(),
        ScriptKind::Fix,
    ) else {
        panic!("rule not applied")
    };
    assert_eq!(
        errors,
        vec![ParamError {
            param: "min_seconds".into(),
            message: "The minimum wait must not exceed the maximum.".into()
        }]
    );
    let Err(RenderError::Invalid(errors)) = render(&f, &raw(&[("adaptr", "x")]), &ctx(), ScriptKind::Fix)
    else {
        panic!()
    };
    assert_eq!(errors[0].param, "adaptr");
    let Err(RenderError::Invalid(errors)) =
        render(&f, &raw(&[("arguments", "/a & calc")]), &ctx(), ScriptKind::Fix)
    else {
        panic!()
    };
    assert!(
        errors[0]
            .message
            .starts_with("Arguments cannot contain “&” (position 4)"),
        "{}",
        errors[0].message
    );
}

#[test]
fn templates_cannot_print_values_in_powershell_sh_or_cmd() {
    for (lang, file, body) in [
        ("powershell", "fix.ps1", "Write-Output '{{ adapter }}'\n"),
        ("powershell", "fix.ps1", "Write-Output {{ adapter | safe }}\n"),
        ("sh", "fix.sh", "echo {{ adapter }}\n"),
        ("cmd", "fix.cmd", "echo {{ adapter }}\n"),
        (
            "powershell",
            "fix.ps1",
            "{% autoescape false %}{{ adapter }}{% endautoescape %}\n",
        ),
        ("powershell", "fix.ps1", "{% if adapter %}x{% endif %}\n"),
    ] {
        let ext = file.rsplit('.').next().unwrap_or("");
        let toml = format!(
            "title = \"t\"\nsummary = \"s\"\nlanguage = \"{lang}\"\ntemplate = \"{file}\"\nfilename = \"t.{ext}\"\nversion = 1\nchanges_state = false\n[[params]]\nname = \"adapter\"\nlabel = \"A\"\ntype = \"text\"\ndefault = \"x\"\n"
        );
        assert!(
            parse_fix("t", &toml, &[(file, body)]).is_err(),
            "{lang} template printed a value: {body}"
        );
    }
}

#[test]
fn xml_and_reg_escape_every_printed_value_even_marked_safe() {
    // There is no `safe` filter (no builtins at all), and autoescape blocks change nothing.
    assert!(
        parse_fix(
            "test-xml",
            XML_TOML,
            &[("fix.xml", "<R a=\"{{ name | safe }}\"/>\n")]
        )
        .is_err()
    );
    let x = fix(
        "test-xml",
        XML_TOML,
        &[(
            "fix.xml",
            "<R a=\"{{ name }}\">{% autoescape false %}{{ name }}{% endautoescape %}</R>\n",
        )],
    );
    let s = render(&x, &raw(&[("name", "<b a=\"1\">&'")]), &ctx(), ScriptKind::Fix).unwrap();
    assert!(
        s.text.contains(
            "<R a=\"&lt;b a=&quot;1&quot;&gt;&amp;&apos;\">&lt;b a=&quot;1&quot;&gt;&amp;&apos;</R>"
        ),
        "{}",
        s.text
    );
    let r = fix(
        "test-reg",
        REG_TOML,
        &[(
            "fix.reg",
            "[HKEY_CURRENT_USER\\x]\n\"V\"=\"{{ value }}\"\n\"N\"={{ number | dword }}\n",
        )],
    );
    let s = render(
        &r,
        &raw(&[("value", r#"C:\a "b""#), ("number", "4294967295")]),
        &ctx(),
        ScriptKind::Fix,
    )
    .unwrap();
    assert!(s.text.contains(r#""V"="C:\\a \"b\"""#), "{}", s.text);
    assert!(s.text.contains("\"N\"=dword:ffffffff"));
}

#[test]
fn inner_language_filters_apply_before_the_file_escaping() {
    let x = fix(
        "test-xml",
        XML_TOML,
        &[(
            "fix.xml",
            "<C>powershell -Command Write-Output {{ name | powershell }}</C>\n",
        )],
    );
    let s = render(&x, &raw(&[("name", "it's <x>")]), &ctx(), ScriptKind::Fix).unwrap();
    assert!(
        s.text
            .contains("<C>powershell -Command Write-Output &apos;it&apos;&apos;s &lt;x&gt;&apos;</C>"),
        "{}",
        s.text
    );
    // A value printed through `| cmd` without `inner = ["cmd"]` on its parameter passes
    // validation but fails the filter: `fixkb check` reports the missing declaration.
    let undeclared = fix(
        "test-xml",
        XML_TOML,
        &[("fix.xml", "<C>cmd /c \"{{ name | cmd }}\"</C>\n")],
    );
    let problems = check::check_fix(&undeclared, &corpus::values());
    assert!(
        problems.iter().any(|p| p.contains("without naming the field")),
        "{problems:#?}"
    );
}

#[test]
fn a_state_changing_fix_needs_a_revert() {
    let toml = "title = \"t\"\nsummary = \"s\"\nlanguage = \"sh\"\ntemplate = \"f.sh\"\nfilename = \"t.sh\"\nversion = 1\nchanges_state = true\n";
    let err = parse_fix("t", toml, &[("f.sh", "true\n")]).unwrap_err();
    assert!(err.contains("revert"), "{err}");
}

#[test]
fn every_small_fix_survives_the_adversarial_corpus() {
    let corpus = corpus::values();
    for f in small_fixes() {
        let problems = check::check_fix(&f, &corpus);
        assert!(problems.is_empty(), "{}: {problems:#?}", f.id);
    }
}

#[test]
fn the_structure_check_catches_an_unsafe_escaper() {
    // A template that smuggles a value into a double-quoted PowerShell string would pass
    // review by eye; the reader catches the structure change through a reg file here, where
    // a value can reach a bareword position.
    let bad = fix(
        "test-reg",
        REG_TOML,
        &[("fix.reg", "[HKEY_CURRENT_USER\\x]\n\"V\"={{ value }}\n")],
    );
    assert!(!check::check_fix(&bad, &corpus::values()).is_empty());
    let bad_xml = fix(
        "test-xml",
        XML_TOML,
        &[("fix.xml", "<R>{{ name }}</R>\n<!-- {{ name }} -->\n")],
    );
    assert!(
        !check::check_fix(&bad_xml, &corpus::values()).is_empty(),
        "a value inside an XML comment can end it"
    );
}

#[test]
fn smart_quotes_that_are_not_doubled_are_caught_by_the_powershell_lexer() {
    // Simulates a broken escaper: tree-sitter sees one string, PowerShell would see two.
    let text = "\u{FEFF}param(\r\n    [string]$A = 'a\u{2019}; calc; \u{2019}'\r\n)\r\nWrite-Output $A\r\n";
    let err = check::inspect_powershell_bytes(text.as_bytes(), &[]).unwrap_err();
    assert!(err.contains("PowerShell would end this string"), "{err}");
}

#[test]
fn a_default_that_is_not_one_literal_is_caught() {
    let expected = [("adapter".to_owned(), "xy".to_owned())];
    let one = "\u{FEFF}param(\r\n    [string]$Adapter = 'xy'\r\n)\r\nWrite-Output $Adapter\r\n";
    assert!(check::inspect_powershell_bytes(one.as_bytes(), &expected).is_ok());
    let two = "\u{FEFF}param(\r\n    [string]$Adapter = ('x' + 'y')\r\n)\r\nWrite-Output $Adapter\r\n";
    let err = check::inspect_powershell_bytes(two.as_bytes(), &expected).unwrap_err();
    assert!(err.contains("not exactly one single-quoted literal"), "{err}");
    let expandable = "\u{FEFF}param(\r\n    [string]$Adapter = \"xy\"\r\n)\r\nWrite-Output $Adapter\r\n";
    assert!(check::inspect_powershell_bytes(expandable.as_bytes(), &expected).is_err());
}

fn run_sh(shell: &str, script: &[u8]) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("t.sh");
    std::fs::write(&path, script).ok()?;
    let out = Command::new(shell).arg(&path).output().ok()?;
    assert!(
        out.status.success(),
        "{shell} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

#[test]
fn sh_values_arrive_byte_for_byte_under_bash_and_dash() {
    let f = sh_fix();
    let mut checked = 0;
    for value in corpus::values().iter().filter(|v| v.len() < 2000) {
        let Ok(script) = render(&f, &raw(&[("text", value)]), &ctx(), ScriptKind::Fix) else {
            continue;
        };
        let expected = format!("{}\0/tmp/x\01\0", script.canonical_params["text"]);
        for shell in ["bash", "dash"] {
            let Some(out) = run_sh(shell, &script.bytes) else {
                panic!("cannot run {shell}")
            };
            assert_eq!(String::from_utf8_lossy(&out), expected, "{shell} with {value:?}");
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} corpus values were valid text");
}

#[test]
fn sh_guards_reject_an_edited_value() {
    let script = render(&sh_fix(), &raw(&[]), &ctx(), ScriptKind::Fix).unwrap();
    let edited = script.text.replace("count='1'", "count='1; id'");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sh");
    std::fs::write(&path, edited).unwrap();
    for shell in ["bash", "dash"] {
        let out = Command::new(shell).arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{shell}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("Invalid value for count"));
    }
}

#[test]
fn bytes_follow_each_language_table_row() {
    let fixes = small_fixes();
    let by_lang = |lang| fixes.iter().find(|f| f.language == lang).unwrap();
    let bytes = |lang| {
        render(by_lang(lang), &BTreeMap::new(), &ctx(), ScriptKind::Fix)
            .unwrap()
            .bytes
    };
    let crlf_only = |b: &[u8]| {
        b.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r')
            && !b.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n')
    };

    let ps = bytes(Language::Powershell);
    assert!(ps.starts_with(&[0xEF, 0xBB, 0xBF]) && crlf_only(&ps));

    let sh = bytes(Language::Sh);
    assert!(sh.starts_with(b"#!/bin/sh\n") && !sh.contains(&b'\r'));
    assert!(std::str::from_utf8(&sh).unwrap().contains("\nset -eu\n"));

    let cmd = bytes(Language::Cmd);
    assert!(cmd.starts_with(b"@echo off\r\nsetlocal EnableExtensions DisableDelayedExpansion\r\n"));
    assert!(cmd.is_ascii() && crlf_only(&cmd));

    let reg = bytes(Language::Reg);
    assert!(reg.starts_with(&[0xFF, 0xFE]));
    let units: Vec<u16> = reg[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    assert!(text.starts_with("Windows Registry Editor Version 5.00\r\n\r\n"));
    assert!(crlf_only(text.as_bytes()));

    let xml = bytes(Language::Xml);
    assert!(xml.starts_with(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n") && crlf_only(&xml));
}

fn real_fixes() -> BTreeMap<String, std::sync::Arc<Fix>> {
    let (fixes, diagnostics, sources) = load_dir(&content_dir());
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert!(
        sources
            .iter()
            .any(|(p, _)| p == "fixes/disable-task-offload/fix.toml")
    );
    fixes
}

#[test]
fn the_real_starter_fixes_load_without_diagnostics() {
    let fixes = real_fixes();
    for id in [
        "offload-diagnose",
        "disable-task-offload",
        "disable-task-offload-global",
        "azure-endpoints-csdef",
        "open-firewall-port",
        "random-wait",
        "random-wait-unattend",
        "new-xenserver-vm",
        "xenserver-supplemental-pack",
        "run-installer-via-cmd",
        "run-installer-cmd",
        "sp1-preflight",
    ] {
        let f = fixes.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert!(
            !f.changes_state || f.has_revert() || f.irreversible.is_some(),
            "{id}"
        );
    }
}

#[test]
fn the_real_starter_fixes_survive_the_adversarial_corpus() {
    let corpus = corpus::values();
    let mut problems = Vec::new();
    for f in real_fixes().values() {
        problems.extend(
            check::check_fix(f, &corpus)
                .into_iter()
                .map(|p| format!("{}: {p}", f.id)),
        );
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn snapshots_of_every_starter_fix_with_its_defaults() {
    for f in real_fixes().values() {
        for kind in [ScriptKind::Fix, ScriptKind::Revert] {
            let Ok(script) = render(f, &f.benign_values(), &ctx(), kind) else {
                continue;
            };
            let name = format!(
                "{}-{}",
                f.id,
                if kind == ScriptKind::Fix { "fix" } else { "revert" }
            );
            insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
                insta::assert_snapshot!(name, script.text);
            });
        }
    }
}

#[test]
fn every_value_the_server_accepts_passes_the_scripts_own_validate_pattern() {
    let corpus = corpus::values();
    let mut checked = 0;
    let fixes: Vec<Fix> = real_fixes()
        .values()
        .map(|f| (**f).clone())
        .chain([ps_fix()])
        .collect();
    for f in fixes.iter().filter(|f| f.language == Language::Powershell) {
        for p in f
            .params
            .iter()
            .filter(|p| p.kind.is_textual() && p.kind != Kind::Choice)
        {
            let pattern = lang::powershell::pattern(p);
            if pattern.contains("(?=") || pattern.contains("(?!") {
                continue; // inner-language lookaheads: the regex crate has no lookaround
            }
            let re = regex::RegexBuilder::new(&pattern)
                .case_insensitive(true)
                .build()
                .unwrap();
            for v in corpus.iter().chain(p.default.iter()).chain(p.example.iter()) {
                if let Ok(Value::Text(t)) = p.parse(Some(v), f.language) {
                    assert!(
                        re.is_match(&t),
                        "{}.{}: {t:?} passes the server but not {pattern}",
                        f.id,
                        p.name
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} values checked");
}

#[test]
fn a_broken_fix_is_reported_with_file_and_line_and_the_others_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "good/fix.toml",
        SH_TOML.replace("name = \"path\"", "name = \"target\"").as_str(),
    );
    write("good/fix.sh", "echo \"$text\"\n");
    write(
        "typo/fix.toml",
        &format!(
            "{}\ncolour = \"red\"\n",
            SH_TOML.lines().take(8).collect::<Vec<_>>().join("\n")
        ),
    );
    write("typo/fix.sh", "true\n");
    write(
        "prints/fix.toml",
        &SH_TOML.replace("name = \"path\"", "name = \"target\""),
    );
    write("prints/fix.sh", "echo {{ text }}\n");
    let (fixes, diagnostics, sources) = load_dir(dir.path());
    assert_eq!(fixes.keys().collect::<Vec<_>>(), ["good"]);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    let typo = diagnostics
        .iter()
        .find(|d| d.file == Path::new("fixes/typo/fix.toml"))
        .unwrap();
    assert_eq!(typo.line, Some(9));
    assert!(typo.message.contains("colour"), "{}", typo.message);
    let prints = diagnostics
        .iter()
        .find(|d| d.file == Path::new("fixes/prints/fix.sh"))
        .unwrap();
    assert!(prints.message.contains("see no values"), "{}", prints.message);
    assert!(
        sources.iter().any(|(p, _)| p == "fixes/prints/fix.sh"),
        "every file read counts for the revision"
    );
}
