//! Reads a `--mapping FILE` (TOML) and `--map COLUMN=FIELD` flags into a
//! [`Mapping`]. Every mistake (bad TOML, an unknown key or transform, a bad
//! date format, a field that cannot be sent) is reported with the file and
//! line and what to write instead, before any row is read.
//!
//! ```toml
//! username = { column = "E-mail", transform = ["trim", "lowercase"] }
//! password = { column = "Pass" }                 # or { generate = true }
//! [attributes]
//! given_name = "First Name"                      # shorthand for { column = "First Name" }
//! birthdate = { column = "DOB", transform = [{ date = "%m/%d/%Y" }] }
//! "custom:tier" = { value = "gold" }             # a constant
//! "custom:legacy_id" = { template = "legacy-{ID}" }
//! [client_metadata]   source = { value = "legacy-import" }
//! [validation_data]   invite_code = { column = "Invite" }
//! [user_context]      ip = { column = "Last IP" }
//! [account]           email_verified = "Verified"   # carried for the admin steps, never sent
//! [options]           default_country = "US"  ignore = ["Internal Notes"]  map_by_header = false
//! [input]             has_header = false  columns = ["uid", "email"]   # a CSV without a header row
//! ```
//!
//! In JSON inputs a column name may be a dotted path into a nested value
//! (`user_metadata.plan`; see [`super::json_path`]).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;
use toml::{Spanned, Value};

use crate::checks::attributes::{self, CUSTOM_PREFIX};
use crate::mapping::rules::{Mapping, Rule, Source, Target, TemplatePart, VerifiedFlag};
use crate::mapping::transform::{self, Transform};
use crate::send::cognito::attr_name::AttrName;
use crate::send::cognito::pool::PasswordPolicy;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    username: Option<Spanned<Value>>,
    password: Option<Spanned<Value>>,
    #[serde(default)]
    attributes: BTreeMap<String, Spanned<Value>>,
    #[serde(default)]
    client_metadata: BTreeMap<String, Spanned<Value>>,
    #[serde(default)]
    validation_data: BTreeMap<String, Spanned<Value>>,
    #[serde(default)]
    user_context: BTreeMap<String, Spanned<Value>>,
    #[serde(default)]
    account: BTreeMap<String, Spanned<Value>>,
    #[serde(default)]
    options: RawOptions,
    #[serde(default)]
    input: RawInput,
}

/// `[input]`: how the input itself is laid out.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    has_header: Option<bool>,
    columns: Option<Vec<String>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    default_country: Option<String>,
    #[serde(default)]
    ignore: Vec<String>,
    /// Map the columns no rule names by their header names, as without a
    /// mapping file (a template whose headers are mostly Cognito's own).
    #[serde(default)]
    map_by_header: bool,
}

/// Turns spans into `file:line` prefixes.
struct Locator<'a> {
    file: String,
    text: &'a str,
}

impl Locator<'_> {
    fn at(&self, span: std::ops::Range<usize>, message: impl std::fmt::Display) -> String {
        format!("{}: {message}", self.place(span))
    }

    /// `file:line` of a span.
    fn place(&self, span: std::ops::Range<usize>) -> String {
        let line = self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1;
        format!("{}:{line}", self.file)
    }
}

/// Loads a mapping file. `policy` is the pool's password policy for
/// `password = { generate = true }` (a strong default without `--pool`).
pub(crate) fn load(path: &Path, policy: Option<&PasswordPolicy>) -> anyhow::Result<Mapping> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read mapping file {}: {e}", path.display()))?;
    parse(&text, &path.display().to_string(), policy).map_err(|e| anyhow::anyhow!(e))
}

/// Parses mapping-file text; `file` names it in messages.
pub(crate) fn parse(
    text: &str,
    file: &str,
    policy: Option<&PasswordPolicy>,
) -> Result<Mapping, String> {
    let raw = read_raw(text, file)?;
    let at = Locator {
        file: file.to_owned(),
        text,
    };
    let country = default_country(raw.options.default_country.as_deref(), &at)?;
    let policy = policy.cloned().unwrap_or_default();
    let field = |target: Target, spec: &Spanned<Value>| {
        let mut rule = field_rule(target, spec, country, &policy, &at)?;
        rule.origin = Some(at.place(spec.span()));
        Ok::<_, String>(rule)
    };

    let mut rules = Vec::new();
    if let Some(spec) = &raw.username {
        rules.push(field(Target::Username, spec)?);
    }
    if let Some(spec) = &raw.password {
        rules.push(field(Target::Password, spec)?);
    }
    for (name, spec) in &raw.attributes {
        rules.push(field(attribute_target(name, spec, &at)?, spec)?);
    }
    for (key, spec) in &raw.client_metadata {
        rules.push(field(Target::ClientMetadata(key.clone()), spec)?);
    }
    for (key, spec) in &raw.validation_data {
        rules.push(field(
            Target::ValidationData(AttrName::interned(key)),
            spec,
        )?);
    }
    for (key, spec) in &raw.user_context {
        if key != "ip" {
            return Err(at.at(
                spec.span(),
                format!("[user_context] takes only `ip`, not {key:?}"),
            ));
        }
        rules.push(field(Target::UserContextIp, spec)?);
    }
    for (key, spec) in &raw.account {
        rules.push(account_rule(key, spec, &field, &at)?);
    }
    let input_columns = input_columns(file, raw.input)?;
    Ok(Mapping {
        rules,
        by_header: raw.options.map_by_header,
        ignored: raw.options.ignore.into_iter().collect::<HashSet<_>>(),
        missing_columns_empty: false,
        input_columns,
    })
}

/// The file's TOML, or an error naming the line it fails at.
fn read_raw(text: &str, file: &str) -> Result<RawFile, String> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
        format!(
            "{file}:{line}: {}\n(the mapping format is in the README, section \"Mapping files\")",
            e.message()
        )
    })
}

/// `[options] default_country`, as a region phone numbers are read in.
fn default_country(
    code: Option<&str>,
    at: &Locator,
) -> Result<Option<phonenumber::country::Id>, String> {
    let Some(code) = code else {
        return Ok(None);
    };
    phonenumber::country::Id::from_str(&code.to_ascii_uppercase())
        .map(Some)
        .map_err(|_| {
            let span = at.text.find(code).map_or(0..0, |i| i..i);
            at.at(span, format!("default_country {code:?} is not an ISO 3166 region code such as \"US\" or \"DE\""))
        })
}

/// The target of an `[attributes]` key: a standard attribute spelled as
/// Cognito spells it, or `custom:NAME`.
fn attribute_target(name: &str, spec: &Spanned<Value>, at: &Locator) -> Result<Target, String> {
    if let Some(reason) = attributes::forbidden_reason(name) {
        return Err(at.at(spec.span(), reason));
    }
    let canonical = attributes::canonical_name(name).filter(|c| c == name).ok_or_else(|| {
        at.at(
            spec.span(),
            format!("{name:?} is not a standard attribute or `custom:NAME` (standard names are lower case, e.g. given_name)"),
        )
    })?;
    Ok(Target::Attribute(AttrName::interned(&canonical)))
}

/// Builds one field's rule from its TOML value.
type FieldRule<'a> = dyn Fn(Target, &Spanned<Value>) -> Result<Rule, String> + 'a;

/// One `[account]` key's rule: a verification flag, `enabled`, or
/// `groups` (whose table may name its `split` separator; `,` if not).
fn account_rule(
    key: &str,
    spec: &Spanned<Value>,
    field: &FieldRule<'_>,
    at: &Locator<'_>,
) -> Result<Rule, String> {
    if let Some(flag) = VerifiedFlag::from_attribute(key) {
        return field(Target::Verified(flag), spec);
    }
    match key {
        "enabled" => field(Target::Enabled, spec),
        "groups" => {
            let mut spec = spec.clone();
            let mut separator = ',';
            if let Value::Table(table) = spec.get_mut() {
                if let Some(split) = table.remove("split") {
                    let mut chars = split.as_str().unwrap_or("").chars();
                    separator = match (chars.next(), chars.next()) {
                        (Some(c), None) => c,
                        _ => {
                            return Err(at.at(
                                spec.span(),
                                "groups: split is one character, e.g. split = \";\"",
                            ))
                        }
                    };
                }
            }
            field(Target::Groups(separator), &spec)
        }
        _ => Err(at.at(
            spec.span(),
            format!("[account] takes email_verified, phone_number_verified, groups and enabled, not {key:?}"),
        )),
    }
}

/// `[input]`'s column names of a CSV without a header row, if it says so.
fn input_columns(file: &str, input: RawInput) -> Result<Option<Vec<String>>, String> {
    match (input.has_header, input.columns) {
        (Some(false), Some(columns)) if !columns.is_empty() => Ok(Some(columns)),
        (Some(false), _) => Err(format!(
            "{file}: [input] has_header = false needs columns = [\"...\", ...], the names of the file's columns in order"
        )),
        (_, Some(_)) => Err(format!(
            "{file}: [input] columns names the columns of a file without a header row: add has_header = false"
        )),
        (_, None) => Ok(None),
    }
}

fn field_rule(
    target: Target,
    spec: &Spanned<Value>,
    country: Option<phonenumber::country::Id>,
    policy: &PasswordPolicy,
    at: &Locator<'_>,
) -> Result<Rule, String> {
    let name = target.name().to_owned();
    let err = |message: String| at.at(spec.span(), format!("{name}: {message}"));
    let table = match spec.get_ref() {
        Value::String(column) => return Ok(Rule::column(target, column.clone())),
        Value::Table(table) => table,
        _ => {
            return Err(err(
                "expected a column name or a table such as { column = \"Email\" }".to_owned(),
            ))
        }
    };
    let mut sources = Vec::new();
    let mut transforms = Vec::new();
    for (key, value) in table {
        match (key.as_str(), value) {
            ("column", Value::String(column)) => sources.push(Source::Column(column.clone())),
            ("value", Value::String(constant)) => sources.push(Source::Constant(constant.clone())),
            ("value", Value::Integer(n)) => sources.push(Source::Constant(n.to_string())),
            ("value", Value::Float(x)) => sources.push(Source::Constant(x.to_string())),
            ("value", Value::Boolean(b)) => sources.push(Source::Constant(b.to_string())),
            ("template", Value::String(template)) => sources.push(Source::Template(parse_template(template).map_err(&err)?)),
            ("generate", Value::Boolean(true)) if target == Target::Password => {
                sources.push(Source::GeneratePassword(policy.clone()))
            }
            ("generate", _) => return Err(err("only `password = { generate = true }` can be generated".to_owned())),
            ("transform", Value::Array(items)) => {
                for item in items {
                    transforms.push(parse_transform(item, country).map_err(&err)?);
                }
            }
            (
                "column" | "value" | "template" | "transform",
                _,
            ) => return Err(err(format!("`{key}` has the wrong type"))),
            _ => {
                return Err(err(format!(
                    "unknown key `{key}`; a field takes one of column, value, template (or generate for password), and optionally transform"
                )))
            }
        }
    }
    let source = match sources.len() {
        1 => sources.remove(0),
        0 => return Err(err("needs a source: column, value or template".to_owned())),
        _ => {
            return Err(err(
                "takes only one of column, value, template, generate".to_owned()
            ))
        }
    };
    Ok(Rule {
        target,
        source,
        transforms,
        origin: None,
    })
}

fn parse_transform(
    item: &Value,
    country: Option<phonenumber::country::Id>,
) -> Result<Transform, String> {
    match item {
        Value::String(name) => Transform::from_name(name, country).ok_or_else(|| {
            format!(
                "unknown transform {name:?}; the transforms are {} and {{ date = \"%m/%d/%Y\" }}",
                transform::NAMES.join(", ")
            )
        }),
        Value::Table(table) if table.len() == 1 => match table.get("date") {
            Some(Value::String(format)) => Transform::date(format),
            _ => Err("the only table transform is { date = \"<strftime format>\" }".to_owned()),
        },
        _ => Err("a transform is a name such as \"trim\" or { date = \"%m/%d/%Y\" }".to_owned()),
    }
}

/// `legacy-{ID}` → text and column parts. `{{` and `}}` are literal braces.
pub(crate) fn parse_template(template: &str) -> Result<Vec<TemplatePart>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let column: String = chars.by_ref().take_while(|c| *c != '}').collect();
                if column.is_empty() {
                    return Err(format!(
                        "template {template:?} has an empty or unclosed {{column}} placeholder"
                    ));
                }
                if !text.is_empty() {
                    parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                }
                parts.push(TemplatePart::Column(column));
            }
            '}' => {
                return Err(format!(
                    "template {template:?} has a `}}` without `{{` (write `}}}}` for a brace)"
                ))
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(TemplatePart::Text(text));
    }
    Ok(parts)
}

/// Applies `--map COLUMN=FIELD` flags: each adds or replaces the rule for
/// FIELD (`account.email_verified` names a carried verification flag).
pub(crate) fn apply_map_flags(mapping: &mut Mapping, flags: &[String]) -> Result<(), String> {
    for flag in flags {
        let (column, field) = flag
            .rsplit_once('=')
            .filter(|(c, f)| !c.is_empty() && !f.is_empty())
            .ok_or_else(|| {
                format!("--map {flag:?}: write COLUMN=FIELD, e.g. --map \"E-mail=email\"")
            })?;
        let target = match field.trim() {
            "username" => Target::Username,
            "password" => Target::Password,
            "account.email_verified" => Target::Verified(VerifiedFlag::Email),
            "account.phone_number_verified" => Target::Verified(VerifiedFlag::PhoneNumber),
            other => {
                if let Some(reason) = attributes::forbidden_reason(other) {
                    return Err(format!("--map {flag:?}: {reason}"));
                }
                let name = attributes::canonical_name(other).ok_or_else(|| {
                    format!("--map {flag:?}: {other:?} is not username, password, a standard attribute or custom:NAME")
                })?;
                Target::Attribute(AttrName::interned(&name))
            }
        };
        // A custom attribute mapped from a column already copied to another
        // custom attribute renames it: `--map user_id=custom:auth0_id` over
        // a preset's `"custom:legacy_id" = "user_id"`.
        let renames = |rule: &Rule| {
            matches!((&target, &rule.target), (Target::Attribute(new), Target::Attribute(old))
                if new.starts_with(CUSTOM_PREFIX) && old.starts_with(CUSTOM_PREFIX))
                && rule.source == Source::Column(column.to_owned())
        };
        mapping.rules.retain(|r| r.target != target && !renames(r));
        mapping.rules.push(Rule::column(target, column));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
username = { column = "E-mail", transform = ["trim", "lowercase"] }
password = { generate = true }

[attributes]
email = { column = "E-mail", transform = ["trim", "lowercase"] }
given_name = "First Name"
phone_number = { column = "Phone", transform = ["e164"] }
birthdate = { column = "DOB", transform = [{ date = "%m/%d/%Y" }] }
"custom:tier" = { value = "gold" }
"custom:legacy_id" = { template = "legacy-{ID}" }

[client_metadata]
source = { value = "legacy-import" }

[validation_data]
invite_code = { column = "Invite" }

[user_context]
ip = { column = "Last IP" }

[options]
default_country = "US"
ignore = ["Internal Notes"]
"#;

    #[test]
    fn the_documented_format_parses() {
        let mapping = parse(FULL, "m.toml", None).expect("parses");
        assert!(!mapping.by_header);
        assert!(mapping.ignored.contains("Internal Notes"));
        assert_eq!(mapping.rules.len(), 11);
        let phone = mapping
            .rules
            .iter()
            .find(|r| r.target == Target::Attribute("phone_number".into()))
            .expect("phone rule");
        assert_eq!(
            phone.transforms,
            vec![Transform::E164 {
                default_country: Some(phonenumber::country::Id::US)
            }]
        );
        let legacy = mapping
            .rules
            .iter()
            .find(|r| r.target == Target::Attribute("custom:legacy_id".into()))
            .expect("template rule");
        assert_eq!(
            legacy.source,
            Source::Template(vec![
                TemplatePart::Text("legacy-".into()),
                TemplatePart::Column("ID".into())
            ])
        );
    }

    fn error_of(text: &str) -> String {
        parse(text, "m.toml", None).expect_err("refused")
    }

    #[test]
    fn a_column_the_input_lacks_names_the_rules_line() {
        let mapping = parse(
            "username = \"User\"\n\n[attributes]\nemail = { column = \"Mail\", transform = [\"trim\"] }\n",
            "m.toml",
            None,
        )
        .expect("mapping");
        let columns = std::sync::Arc::new(crate::input::Columns::new(vec![
            "User".to_owned(),
            "E-mail".to_owned(),
        ]));
        let e = mapping.compile(columns).expect_err("missing column");
        assert!(e.starts_with("m.toml:4: email: "), "{e}");
        assert!(e.contains("\"Mail\"") && e.contains("\"E-mail\""), "{e}");
    }

    #[test]
    fn mistakes_name_the_file_line_and_fix() {
        let e = error_of("username = \"u\"\n[attributes]\nemail = { column = \"E\", transform = [\"lowercse\"] }\n");
        assert!(
            e.starts_with("m.toml:3: email: unknown transform \"lowercse\""),
            "{e}"
        );
        assert!(e.contains("lowercase"), "{e}");
        let e = error_of(
            "[attributes]\n\nbirthdate = { column = \"D\", transform = [{ date = \"%Q\" }] }\n",
        );
        assert!(e.starts_with("m.toml:3:"), "{e}");
        assert!(e.contains("strftime"), "{e}");
        let e = error_of("username = { column = \"u\"\n");
        assert!(e.starts_with("m.toml:1:"), "{e}");
        let e = error_of("usernme = \"u\"\n");
        assert!(e.contains("usernme"), "{e}");
        let e = error_of("[attributes]\nEmail = \"E\"\n");
        assert!(
            e.starts_with("m.toml:2:") && e.contains("lower case"),
            "{e}"
        );
        let e = error_of("[attributes]\nsub = \"S\"\n");
        assert!(e.contains("`sub`"), "{e}");
        let e = error_of("username = { column = \"a\", value = \"b\" }\n");
        assert!(e.contains("only one"), "{e}");
        let e = error_of("[options]\ndefault_country = \"XX\"\n");
        assert!(e.contains("ISO 3166"), "{e}");
        let e = error_of("[attributes]\nemail = { generate = true }\n");
        assert!(e.contains("generate"), "{e}");
    }

    #[test]
    fn templates() {
        assert_eq!(
            parse_template("{A}-{{x}}-{B}"),
            Ok(vec![
                TemplatePart::Column("A".into()),
                TemplatePart::Text("-{x}-".into()),
                TemplatePart::Column("B".into())
            ])
        );
        assert!(parse_template("a{}").is_err());
        assert!(parse_template("a}").is_err());
    }

    #[test]
    fn map_flags_add_and_replace() {
        let mut mapping = Mapping::by_header([]);
        apply_map_flags(
            &mut mapping,
            &[
                "E-mail=email".into(),
                "Login=username".into(),
                "Mail2=email".into(),
            ],
        )
        .expect("flags");
        assert_eq!(mapping.rules.len(), 2);
        assert!(mapping
            .rules
            .contains(&Rule::column(Target::Attribute("email".into()), "Mail2")));
        assert!(apply_map_flags(&mut mapping, &["X=nonsense".into()]).is_err());
        assert!(apply_map_flags(&mut mapping, &["noequals".into()]).is_err());
        assert!(
            apply_map_flags(&mut mapping, &["a=b=custom:tier".into()]).is_ok(),
            "column names may hold ="
        );
    }

    #[test]
    fn a_map_to_a_custom_attribute_renames_the_one_copying_its_column() {
        let text = "username = \"email\"\npassword = { generate = true }\n[attributes]\n\"custom:legacy_id\" = \"user_id\"\n\"custom:plan\" = \"plan\"\n[options]\nmap_by_header = true\n";
        let mut mapping = parse(text, "m.toml", None).expect("parses");
        assert!(mapping.by_header, "map_by_header = true");
        assert!(mapping.generates_password());
        apply_map_flags(&mut mapping, &["user_id=custom:auth0_id".into()]).expect("flag");
        let custom: Vec<String> = mapping
            .rules
            .iter()
            .filter(|r| r.target.name().starts_with("custom:"))
            .map(|r| r.target.name().to_owned())
            .collect();
        assert_eq!(custom, ["custom:plan", "custom:auth0_id"]);
        // A standard attribute from the same column adds, renames nothing.
        apply_map_flags(&mut mapping, &["user_id=nickname".into()]).expect("flag");
        assert!(mapping
            .rules
            .iter()
            .any(|r| r.target.name() == "custom:auth0_id"));
    }
}

#[cfg(test)]
mod account_tests {
    use std::sync::Arc;

    use super::*;
    use crate::input::{Columns, Row, StringRecord};
    use crate::mapping::rules::Prepared;

    fn mapped(mapping: &Mapping, verified: &str) -> Result<Prepared, String> {
        let names = ["id", "Verified"].map(str::to_owned).to_vec();
        let columns = Arc::new(Columns::new(names));
        let compiled = mapping.compile(Arc::clone(&columns))?;
        let row = Row {
            number: 1,
            columns,
            values: StringRecord::from(vec!["ann", verified]),
        };
        let mut out = Prepared::default();
        compiled
            .apply_into(&row, &mut out)
            .map_err(|e| format!("{}: {e}", e.code))?;
        Ok(out)
    }

    #[test]
    fn verification_flags_are_carried_never_sent() {
        let text = "username = \"id\"\npassword = { generate = true }\n[account]\nemail_verified = \"Verified\"\n";
        let mapping = parse(text, "m.toml", None).expect("parses");
        let out = mapped(&mapping, "TRUE").expect("maps");
        assert_eq!(out.email_verified, Some(true));
        assert!(out.attributes.is_empty(), "{:?}", out.attributes);
        assert_eq!(out.verified(), "email");
        assert_eq!(mapped(&mapping, "false").expect("maps").verified(), "");
        let error = mapped(&mapping, "maybe").expect_err("not a boolean");
        assert!(error.starts_with("InvalidBoolean"), "{error}");
        assert!(error.contains("Verified"), "{error}");
    }

    #[test]
    fn map_flags_and_mistakes_in_account() {
        let mut mapping = Mapping::by_header([]);
        apply_map_flags(&mut mapping, &["id=username".to_owned()]).expect("username");
        apply_map_flags(
            &mut mapping,
            &["Verified=account.phone_number_verified".to_owned()],
        )
        .expect("a carried flag");
        let out = mapped(&mapping, "1").expect("maps");
        assert_eq!(out.phone_number_verified, Some(true));
        assert_eq!(out.verified(), "phone_number");
        let error = parse("[account]\ngroups_x = \"G\"\n", "m.toml", None).expect_err("unknown");
        assert!(
            error.contains("m.toml:2") && error.contains("email_verified"),
            "{error}"
        );
    }
}
