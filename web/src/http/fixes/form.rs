//! The fix form: one field per typed parameter, with HTML5 input types and constraints that
//! mirror the server's checks (the server stays the authority).

use std::collections::BTreeMap;

use crate::fixes::{Fix, Kind, Param, ParamError};

/// How a field is entered.
#[derive(Debug, Clone)]
pub enum Input {
    /// `<input type="text">`.
    Text {
        /// `maxlength`.
        max_length: usize,
        /// `pattern`, when the type has a simple one.
        pattern: Option<String>,
        /// `inputmode`.
        inputmode: &'static str,
    },
    /// `<input type="number">`.
    Number {
        /// `min`.
        min: Option<i64>,
        /// `max`.
        max: Option<i64>,
    },
    /// `<select>`: (value, label).
    Select(Vec<(String, String)>),
    /// A group of checkboxes sharing the field name, one per option: (value, label). The
    /// browser sends one value per ticked box; the server joins them.
    Checkboxes(Vec<(String, String)>),
}

/// One form field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Parameter name (the form field's `name`).
    pub name: String,
    /// Label.
    pub label: String,
    /// Help text.
    pub help: String,
    /// Example, shown as a hint.
    pub example: Option<String>,
    /// Whether it must be filled.
    pub required: bool,
    /// The input control.
    pub input: Input,
    /// The current value (as submitted, or the default).
    pub value: String,
    /// The server's message for this field, after a submission.
    pub error: Option<String>,
}

impl Field {
    /// The `id` of the control.
    pub fn id(&self) -> String {
        format!("param-{}", self.name)
    }

    /// True for a checkbox group, which is labelled by a `<legend>` instead of a `<label>`.
    pub fn is_group(&self) -> bool {
        matches!(self.input, Input::Checkboxes(_))
    }

    /// Whether `option` is among the current (comma-separated) values.
    pub fn is_checked(&self, option: &str) -> bool {
        self.value.split(',').any(|v| v.trim() == option)
    }
}

/// Builds the fields of `fix` from submitted values (or defaults) and the server's errors.
pub fn fields(fix: &Fix, submitted: &BTreeMap<String, String>, errors: &[ParamError]) -> Vec<Field> {
    fix.params
        .iter()
        .map(|p| Field {
            name: p.name.clone(),
            label: p.label.clone(),
            help: p.help.clone(),
            example: p.example.clone(),
            required: p.required,
            input: input(p),
            value: submitted
                .get(&p.name)
                .cloned()
                .or_else(|| p.default.clone())
                .unwrap_or_default(),
            error: errors
                .iter()
                .filter(|e| e.param == p.name)
                .map(|e| e.message.clone())
                .reduce(|a, b| format!("{a} {b}")),
        })
        .collect()
}

fn input(p: &Param) -> Input {
    let text = |pattern: Option<&str>, inputmode| Input::Text {
        max_length: p.max_length,
        pattern: pattern.map(str::to_owned),
        inputmode,
    };
    match p.kind {
        Kind::Integer => Input::Number {
            min: p.min,
            max: p.max,
        },
        Kind::Port => Input::Number {
            min: Some(1),
            max: Some(65535),
        },
        Kind::Boolean => Input::Select(vec![("true".into(), "Yes".into()), ("false".into(), "No".into())]),
        Kind::Choice => {
            let mut options: Vec<(String, String)> = p
                .options
                .iter()
                .map(|o| (o.value.clone(), o.label.clone()))
                .collect();
            if !p.required {
                options.insert(0, (String::new(), "(none)".into()));
            }
            Input::Select(options)
        }
        Kind::Choices => choices(p),
        Kind::Identifier => text(Some("[A-Za-z_][A-Za-z0-9_]*"), "text"),
        Kind::Guid => text(
            Some("\\{?[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\\}?"),
            "text",
        ),
        Kind::Ipv4 => text(Some("[0-9]{1,3}(\\.[0-9]{1,3}){3}"), "decimal"),
        Kind::Text => text(p.pattern.as_deref(), "text"),
        Kind::Hostname => text(None, "url"),
        _ => text(None, "text"),
    }
}

/// A choices parameter as one checkbox per option.
fn choices(p: &Param) -> Input {
    Input::Checkboxes(
        p.options
            .iter()
            .map(|o| (o.value.clone(), o.label.clone()))
            .collect(),
    )
}
