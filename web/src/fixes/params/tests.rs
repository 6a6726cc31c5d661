use proptest::prelude::*;

use super::*;

fn param(kind: Kind) -> Param {
    Param {
        name: "field".into(),
        label: "Field".into(),
        kind,
        required: true,
        help: String::new(),
        default: None,
        example: None,
        min: None,
        max: None,
        max_length: kind.default_max_length(),
        pattern: None,
        pattern_regex: None,
        options: vec![
            ChoiceOption {
                value: "checksum".into(),
                label: "Checksums".into(),
            },
            ChoiceOption {
                value: "lso".into(),
                label: "Large send".into(),
            },
        ],
        inner: Vec::new(),
    }
}

fn ok(kind: Kind, raw: &str) -> String {
    match param(kind).parse(Some(raw), Language::Powershell) {
        Ok(v) => v.canonical(),
        Err(e) => panic!("{kind:?} {raw:?}: {e}"),
    }
}

fn err(kind: Kind, raw: &str) -> String {
    match param(kind).parse(Some(raw), Language::Powershell) {
        Ok(v) => panic!("{kind:?} accepted {raw:?} as {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn integers_are_parsed_and_reprinted_never_echoed() {
    assert_eq!(ok(Kind::Integer, "42"), "42");
    assert_eq!(ok(Kind::Integer, " 42 "), "42");
    assert_eq!(ok(Kind::Integer, "-7"), "-7");
    for bad in [
        "+42",
        "042",
        "4 2",
        "1e3",
        "0x10",
        "1.5",
        "-0",
        "",
        "99999999999999999999",
    ] {
        if bad.is_empty() {
            assert_eq!(err(Kind::Integer, bad), "Field is required.");
        } else {
            assert!(
                err(Kind::Integer, bad).starts_with("Field must be a whole number"),
                "{bad}"
            );
        }
    }
    let mut p = param(Kind::Integer);
    p.min = Some(1);
    p.max = Some(300);
    assert_eq!(
        p.parse(Some("301"), Language::Sh),
        Err("Field must be between 1 and 300.".into())
    );
}

#[test]
fn ports_are_plain_numbers_from_1_to_65535() {
    assert_eq!(ok(Kind::Port, "80"), "80");
    assert_eq!(ok(Kind::Port, "65535"), "65535");
    for bad in ["+80", "080", "0", "65536", "-1", "http"] {
        assert!(
            err(Kind::Port, bad).contains("port number from 1 to 65535"),
            "{bad}"
        );
    }
}

#[test]
fn booleans_choices_and_lists_are_canonical() {
    assert_eq!(ok(Kind::Boolean, "on"), "true");
    assert_eq!(ok(Kind::Boolean, "No"), "false");
    assert_eq!(err(Kind::Boolean, "maybe"), "Field must be yes or no.");
    assert_eq!(ok(Kind::Choice, "LSO"), "lso");
    assert_eq!(err(Kind::Choice, "rss"), "Field must be one of: checksum, lso.");
    assert_eq!(ok(Kind::Choices, "lso, checksum,lso"), "checksum,lso");
    assert!(err(Kind::Choices, "lso,rss").contains("can only contain"));
}

#[test]
fn network_types() {
    assert_eq!(ok(Kind::Hostname, "Web01.Example.COM."), "web01.example.com");
    for bad in ["-web", "web_01", "a..b", "ex ample", "é.example"] {
        assert!(err(Kind::Hostname, bad).contains("host name"), "{bad}");
    }
    assert_eq!(ok(Kind::Ipv4, "10.0.0.1"), "10.0.0.1");
    for bad in ["10.0.0.01", "256.0.0.1", "10.0.0", "::1"] {
        assert!(err(Kind::Ipv4, bad).contains("IPv4"), "{bad}");
    }
    assert_eq!(ok(Kind::Ipv6, "FE80:0:0:0:0:0:0:1"), "fe80::1");
    assert!(err(Kind::Ipv6, "fe80::1%12").contains("IPv6"));
}

#[test]
fn paths() {
    assert_eq!(
        ok(Kind::WindowsPath, r"C:\Program Files\App\setup.exe"),
        r"C:\Program Files\App\setup.exe"
    );
    assert_eq!(
        ok(Kind::WindowsPath, r"\\server\share\pack.iso"),
        r"\\server\share\pack.iso"
    );
    for (bad, why) in [
        (r"Temp\x.log", "full Windows path"),
        (r"C:\..\Windows", ". or .."),
        (r"C:\a\CON", "reserved device name"),
        (r"C:\a\b.", "space or a dot"),
        (r"C:\a|b", "“|”"),
        ("C:/Temp/x", "backslashes"),
        (r"\\?\C:\x", "“?”"),
    ] {
        assert!(
            err(Kind::WindowsPath, bad).contains(why),
            "{bad}: {}",
            err(Kind::WindowsPath, bad)
        );
    }
    assert_eq!(ok(Kind::PosixPath, "/tmp/it's here.iso"), "/tmp/it's here.iso");
    assert!(err(Kind::PosixPath, "tmp/x").contains("absolute"));
    assert!(err(Kind::PosixPath, "/tmp/../etc/shadow").contains(". or .."));
}

#[test]
fn identifiers_kb_numbers_guids_adapters() {
    assert_eq!(ok(Kind::Identifier, "HttpIn_2"), "HttpIn_2");
    assert!(err(Kind::Identifier, "2fast").contains("must not start with a digit"));
    assert_eq!(ok(Kind::KbNumber, "kb 2479943"), "KB2479943");
    assert_eq!(ok(Kind::KbNumber, "2479943"), "KB2479943");
    assert!(err(Kind::KbNumber, "KB12").contains("KB number"));
    assert_eq!(
        ok(Kind::Guid, "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"),
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    );
    assert!(err(Kind::Guid, "3f2504e0").contains("GUID"));
    assert_eq!(ok(Kind::AdapterName, "Ethernet 2"), "Ethernet 2");
    assert!(err(Kind::AdapterName, "Ethernet*").contains("wildcard"));
}

#[test]
fn text_is_normalised_to_nfc_and_keeps_tabs_but_not_controls() {
    assert_eq!(ok(Kind::Text, "e\u{301}"), "é");
    assert_eq!(ok(Kind::Text, "a\tb"), "a\tb");
    assert_eq!(
        err(Kind::Text, "a\nb"),
        "Field contains U+000A LINE FEED at position 2. Type the value again instead of pasting it."
    );
    assert!(err(Kind::AdapterName, "a\tb").contains("U+0009 CHARACTER TABULATION"));
    let mut p = param(Kind::Text);
    p.max_length = 3;
    assert_eq!(
        p.parse(Some("abcd"), Language::Sh),
        Err("Field is too long: 4 characters, at most 3.".into())
    );
}

#[test]
fn optional_values_may_be_empty_and_defaults_fill_missing_ones() {
    let mut p = param(Kind::Integer);
    p.required = false;
    assert_eq!(p.parse(Some(""), Language::Xml), Ok(Value::Empty));
    p.default = Some("5".into());
    assert_eq!(p.parse(None, Language::Xml), Ok(Value::Integer(5)));
}

#[test]
fn the_target_language_adds_its_rules() {
    let p = param(Kind::Text);
    assert!(p.parse(Some("a & b"), Language::Powershell).is_ok());
    let e = p.parse(Some("a & b"), Language::Cmd).unwrap_err();
    assert!(e.starts_with("Field cannot contain “&” (position 3)"), "{e}");
    let mut inner = param(Kind::WindowsPath);
    inner.inner = vec![Language::Cmd];
    assert!(
        inner
            .parse(Some(r"C:\Temp\"), Language::Xml)
            .unwrap_err()
            .contains("must not end with \\")
    );
}

proptest! {
    // Whatever comes in, an accepted value holds no always-rejected character, and parsing
    // the canonical form again gives the same value (canonical forms are fixed points).
    #[test]
    fn accepted_values_are_clean_and_canonical(raw in "\\PC{0,30}|[\\x00-\\x7f]{0,30}", kind_index in 0usize..15) {
        let kinds = [
            Kind::Text, Kind::Integer, Kind::Boolean, Kind::Choice, Kind::Choices, Kind::Port, Kind::Hostname,
            Kind::Ipv4, Kind::Ipv6, Kind::WindowsPath, Kind::PosixPath, Kind::AdapterName, Kind::Identifier,
            Kind::KbNumber, Kind::Guid,
        ];
        let p = param(kinds[kind_index]);
        if let Ok(value) = p.parse(Some(&raw), Language::Powershell) {
            let canonical = value.canonical();
            prop_assert!(chars::first_forbidden(&canonical, p.kind == Kind::Text).is_none());
            prop_assert_eq!(p.parse(Some(&canonical), Language::Powershell), Ok(value));
        }
    }
}
