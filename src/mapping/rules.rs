//! Turns an input row into the pieces of a SignUp request. A [`Mapping`] is a
//! list of explicit rules plus, by default, mapping by header name
//! (`username`, `password`, standard attribute names, `custom:NAME`). It is
//! compiled against an input's columns once (again only when NDJSON brings a
//! new key), which is where columns that map to nothing are found: no data is
//! ever dropped silently. A source may read inside a nested JSON value by a
//! dotted path ([`super::json_path`]). Applying a compiled mapping is pure.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use crate::checks::attributes;
use crate::checks::formats::has_control_byte;
use crate::checks::row_error::RowError;
use crate::input::{Cells, Columns, Row};
use crate::mapping::json_path;
use crate::mapping::password::generate_password;
use crate::mapping::transform::Transform;
use crate::send::cognito::attr_name::AttrName;
use crate::send::cognito::pool::PasswordPolicy;
use crate::send::cognito::wire::{AttributeType, Secret};

/// Where a mapped value goes in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Username,
    Password,
    /// Names interned ([`AttrName::interned`]): every row carries them.
    Attribute(AttrName),
    ValidationData(AttrName),
    ClientMetadata(String),
    UserContextIp,
    /// A verification flag (`[account]` in a mapping file): SignUp cannot
    /// write it, so it is carried to the report for the admin steps that
    /// run after sign-up, never sent.
    Verified(VerifiedFlag),
    /// Groups to add the user to after sign-up, split at this separator
    /// (`[account] groups = { column = "Roles", split = ";" }`).
    Groups(char),
    /// The account state after sign-up (`[account] enabled`): `false`
    /// disables the user, as the source had it.
    Enabled,
}

/// The attribute a carried verification flag is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VerifiedFlag {
    Email,
    PhoneNumber,
}

impl VerifiedFlag {
    /// The flag by its attribute name (`email_verified`), if it is one.
    pub(crate) fn from_attribute(name: &str) -> Option<VerifiedFlag> {
        match name {
            "email_verified" => Some(VerifiedFlag::Email),
            "phone_number_verified" => Some(VerifiedFlag::PhoneNumber),
            _ => None,
        }
    }

    /// The flag's attribute name.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            VerifiedFlag::Email => "email_verified",
            VerifiedFlag::PhoneNumber => "phone_number_verified",
        }
    }
}

/// Where a mapped value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Column(String),
    Constant(String),
    /// Text with `{Column Name}` placeholders.
    Template(Vec<TemplatePart>),
    /// A random password that meets the policy; never written anywhere.
    GeneratePassword(PasswordPolicy),
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TemplatePart {
    Text(String),
    Column(String),
}

/// One explicit mapping rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) target: Target,
    pub(crate) source: Source,
    pub(crate) transforms: Vec<Transform>,
    /// `file:line` of the rule in a mapping file, for errors found later
    /// (a column the input lacks); `None` for header mapping and `--map`.
    pub(crate) origin: Option<String>,
}

impl Rule {
    pub(crate) fn column(target: Target, column: impl Into<String>) -> Rule {
        Rule {
            target,
            source: Source::Column(column.into()),
            transforms: Vec::new(),
            origin: None,
        }
    }
}

/// What the user asked for: explicit rules, header mapping, ignored columns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mapping {
    pub(crate) rules: Vec<Rule>,
    /// Map columns no rule names by their header name.
    pub(crate) by_header: bool,
    /// Columns deliberately not mapped.
    pub(crate) ignored: HashSet<String>,
    /// A named column the input lacks reads as empty instead of being an
    /// error. For NDJSON, whose keys come and go from record to record.
    pub(crate) missing_columns_empty: bool,
    /// The column names of a CSV without a header row, when the mapping
    /// file's `[input]` gives them (`has_header = false`, `columns`).
    pub(crate) input_columns: Option<Vec<String>>,
}

/// A column that maps to nothing, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unmapped {
    pub(crate) column: String,
    pub(crate) reason: &'static str,
}

/// The request pieces taken from one row, before client id and SecretHash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Prepared {
    pub(crate) username: String,
    pub(crate) password: Option<Secret>,
    pub(crate) attributes: Vec<AttributeType>,
    pub(crate) validation_data: Vec<AttributeType>,
    pub(crate) client_metadata: BTreeMap<String, String>,
    pub(crate) user_context_ip: Option<String>,
    /// Carried verification flags (never sent): `Some(true)` when the
    /// row's source says the address was verified.
    pub(crate) email_verified: Option<bool>,
    pub(crate) phone_number_verified: Option<bool>,
    /// Groups the row's source puts the user in (`[account] groups`).
    pub(crate) groups: Vec<String>,
    /// The row's account state (`[account] enabled`), when mapped.
    pub(crate) enabled: Option<bool>,
}

impl Prepared {
    /// The attributes the row's carried flags say were verified, in the
    /// report's form: `email`, `phone_number`, `email;phone_number` or "".
    pub(crate) fn verified(&self) -> &'static str {
        match (self.email_verified, self.phone_number_verified) {
            (Some(true), Some(true)) => "email;phone_number",
            (Some(true), _) => "email",
            (_, Some(true)) => "phone_number",
            _ => "",
        }
    }
}

#[derive(Debug, Clone)]
enum CompiledSource {
    Cell(CompiledCell),
    Constant(String),
    Template(Vec<CompiledPart>),
    GeneratePassword(PasswordPolicy),
}

#[derive(Debug, Clone)]
enum CompiledPart {
    Text(String),
    Cell(CompiledCell),
}

/// Where a source reads one value in a row.
#[derive(Debug, Clone)]
enum CompiledCell {
    /// A cell as it is.
    Plain(usize),
    /// A cell of a column that has held nested JSON: an object or array
    /// there refuses the row (it cannot be one attribute).
    Json(usize),
    /// A value inside a cell's JSON: `user_metadata.plan`.
    Path(usize, Arc<[String]>),
}

/// A resolved rule: target, source, transforms, and the column it reads
/// (for error messages and secret-column tracking).
#[derive(Debug, Clone)]
struct CompiledRule {
    target: Target,
    source: CompiledSource,
    transforms: Vec<Transform>,
    column: Option<String>,
    /// The rule's `file:line` in a mapping file, if it has one.
    origin: Option<String>,
}

/// A mapping resolved against one set of columns.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    columns: Arc<Columns>,
    rules: Vec<CompiledRule>,
    unmapped: Vec<(usize, Unmapped)>,
    /// Columns never copied to the error report: the secret ones, and the
    /// ones no rule reads (ignored columns may hold anything, a temporary
    /// password included; a person fixing a row needs only what is sent).
    uncopied_columns: Vec<String>,
    uncopied_indices: Vec<usize>,
}

impl Mapping {
    /// The default: header-name mapping with the given ignored columns.
    pub(crate) fn by_header(ignored: impl IntoIterator<Item = String>) -> Self {
        Mapping {
            rules: Vec::new(),
            by_header: true,
            ignored: ignored.into_iter().collect(),
            missing_columns_empty: false,
            input_columns: None,
        }
    }

    /// Every input column an explicit rule reads.
    pub(crate) fn named_columns(&self) -> Vec<&str> {
        let mut names = Vec::new();
        for rule in &self.rules {
            match &rule.source {
                Source::Column(name) => names.push(name.as_str()),
                Source::Template(parts) => names.extend(parts.iter().filter_map(|p| match p {
                    TemplatePart::Column(name) => Some(name.as_str()),
                    TemplatePart::Text(_) => None,
                })),
                Source::Constant(_) | Source::GeneratePassword(_) => {}
            }
        }
        names
    }

    /// Whether the password is generated (`generate = true`): then no user
    /// can sign in before resetting it, which the run's end says.
    pub(crate) fn generates_password(&self) -> bool {
        self.rules.iter().any(|rule| {
            rule.target == Target::Password && matches!(rule.source, Source::GeneratePassword(_))
        })
    }

    /// Whether the mapping's own text (constants, template text) holds a
    /// control character: then any row's values may, whatever the input.
    pub(crate) fn literal_controls(&self) -> bool {
        self.rules.iter().any(|rule| match &rule.source {
            Source::Constant(value) => has_control_byte(value.as_bytes()),
            Source::Template(parts) => parts.iter().any(|part| match part {
                TemplatePart::Text(text) => has_control_byte(text.as_bytes()),
                TemplatePart::Column(_) => false,
            }),
            Source::Column(_) | Source::GeneratePassword(_) => false,
        })
    }

    /// Makes `compiled` fit `columns`, compiling again when they are not the
    /// ones it was compiled for (NDJSON brings new keys as it goes).
    pub(crate) fn keep_compiled_for(
        &self,
        compiled: &mut Compiled,
        columns: &Arc<Columns>,
    ) -> anyhow::Result<()> {
        if !compiled.is_for(columns) {
            *compiled = self
                .compile(Arc::clone(columns))
                .map_err(|e| anyhow::anyhow!(e))?;
        }
        Ok(())
    }

    /// Resolves the mapping against `columns`. Fails when an explicit rule
    /// names a column the input lacks.
    pub(crate) fn compile(&self, columns: Arc<Columns>) -> Result<Compiled, String> {
        let mut used: HashSet<usize> = HashSet::new();
        let mut rules = self.compile_explicit(&columns, &mut used)?;
        let unmapped = self.map_by_header(&columns, &used, &mut rules);
        let secret_indices = secret_indices(&rules, &columns);
        let read = read_indices(&rules);
        let uncopied_indices: Vec<usize> = (0..columns.len())
            .filter(|i| secret_indices.contains(i) || !read.contains(i))
            .collect();
        let names = |indices: &[usize]| -> Vec<String> {
            let names = columns.names();
            indices
                .iter()
                .filter_map(|i| names.get(*i).cloned())
                .collect()
        };
        Ok(Compiled {
            uncopied_columns: names(&uncopied_indices),
            uncopied_indices,
            columns,
            rules,
            unmapped,
        })
    }

    /// The explicit rules, their columns resolved (and marked `used`).
    fn compile_explicit(
        &self,
        columns: &Columns,
        used: &mut HashSet<usize>,
    ) -> Result<Vec<CompiledRule>, String> {
        let lenient = self.missing_columns_empty;
        let mut position = |name: &str| -> Result<CompiledCell, String> {
            let Some(cell) = resolve(columns, name) else {
                // An index past every row's last cell: `Row::value` gives "".
                return if lenient {
                    Ok(CompiledCell::Plain(usize::MAX))
                } else {
                    Err(format!(
                        "the mapping names column {name:?}, which the input does not have (its columns: {}); fix the name in the mapping (it must match the header exactly, case and spaces included)",
                        quoted_list(columns.names())
                    ))
                };
            };
            used.insert(cell.index());
            Ok(cell)
        };
        let mut rules = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            // An error names the rule's place in its mapping file, if any.
            let mut position = |name: &str| {
                position(name).map_err(|e| match &rule.origin {
                    Some(origin) => format!("{origin}: {}: {e}", rule.target.name()),
                    None => e,
                })
            };
            let (source, column) = match &rule.source {
                Source::Column(name) => (CompiledSource::Cell(position(name)?), Some(name.clone())),
                Source::Constant(value) => (CompiledSource::Constant(value.clone()), None),
                Source::Template(parts) => {
                    let mut compiled = Vec::with_capacity(parts.len());
                    for part in parts {
                        compiled.push(match part {
                            TemplatePart::Text(text) => CompiledPart::Text(text.clone()),
                            TemplatePart::Column(name) => CompiledPart::Cell(position(name)?),
                        });
                    }
                    (CompiledSource::Template(compiled), None)
                }
                Source::GeneratePassword(policy) => {
                    (CompiledSource::GeneratePassword(policy.clone()), None)
                }
            };
            rules.push(CompiledRule {
                target: rule.target.clone(),
                source,
                transforms: rule.transforms.clone(),
                column,
                origin: rule.origin.clone(),
            });
        }
        Ok(rules)
    }

    /// Maps the columns no explicit rule reads by their header names (when
    /// mapping by header), adding to `rules`; returns the columns left
    /// unmapped, each with the reason.
    fn map_by_header(
        &self,
        columns: &Columns,
        used: &HashSet<usize>,
        rules: &mut Vec<CompiledRule>,
    ) -> Vec<(usize, Unmapped)> {
        // Targets taken so far: by explicit rules, then by earlier columns.
        let mut taken_targets: Vec<Target> = rules.iter().map(|r| r.target.clone()).collect();
        let mut unmapped = Vec::new();
        for (index, name) in columns.names().iter().enumerate() {
            if used.contains(&index) || self.ignored.contains(name) {
                continue;
            }
            let reason = if columns.position(name) != Some(index) {
                "the header repeats this column name"
            } else {
                match self.by_header.then(|| header_target(name)) {
                    Some(Ok(target)) if !taken_targets.contains(&target) => {
                        taken_targets.push(target.clone());
                        rules.push(CompiledRule {
                            target,
                            source: CompiledSource::Cell(cell_at(columns, index)),
                            transforms: Vec::new(),
                            column: Some(name.clone()),
                            origin: None,
                        });
                        continue;
                    }
                    Some(Ok(_)) => "its field is already mapped from another source",
                    Some(Err(reason)) => reason,
                    None => "no mapping rule names it",
                }
            };
            let column = name.clone();
            unmapped.push((index, Unmapped { column, reason }));
        }
        unmapped
    }
}

/// Every column some rule reads (a plain column or a template's).
fn read_indices(rules: &[CompiledRule]) -> HashSet<usize> {
    let mut read = HashSet::new();
    for rule in rules {
        match &rule.source {
            CompiledSource::Cell(cell) => {
                read.insert(cell.index());
            }
            CompiledSource::Template(parts) => read.extend(parts.iter().filter_map(|p| match p {
                CompiledPart::Cell(cell) => Some(cell.index()),
                CompiledPart::Text(_) => None,
            })),
            CompiledSource::Constant(_) | CompiledSource::GeneratePassword(_) => {}
        }
    }
    read
}

/// Every column a password is built from (a plain column or a template's),
/// and any column named like a password, even one no rule reads (ignored,
/// unmapped, or replaced by `generate`): better a blank cell in the error
/// report than a password. Sorted, without repeats.
fn secret_indices(rules: &[CompiledRule], columns: &Columns) -> Vec<usize> {
    let mut indices: Vec<usize> = Vec::new();
    for rule in rules.iter().filter(|r| r.target == Target::Password) {
        match &rule.source {
            CompiledSource::Cell(cell) => indices.push(cell.index()),
            CompiledSource::Template(parts) => {
                indices.extend(parts.iter().filter_map(|p| match p {
                    CompiledPart::Cell(cell) => Some(cell.index()),
                    CompiledPart::Text(_) => None,
                }))
            }
            CompiledSource::Constant(_) | CompiledSource::GeneratePassword(_) => {}
        }
    }
    indices.extend(
        columns
            .names()
            .iter()
            .enumerate()
            .filter(|(_, name)| looks_like_password(name))
            .map(|(i, _)| i),
    );
    indices.sort_unstable();
    indices.dedup();
    indices
}

/// The target a header names under the default mapping, or why it has none.
fn header_target(name: &str) -> Result<Target, &'static str> {
    let lower = name.trim().to_ascii_lowercase();
    match lower.as_str() {
        "username" => return Ok(Target::Username),
        "password" => return Ok(Target::Password),
        _ => {}
    }
    if let Some(reason) = attributes::forbidden_reason(name) {
        return Err(reason);
    }
    attributes::canonical_name(name)
        .map(|name| Target::Attribute(AttrName::interned(&name)))
        .ok_or("it is not `username`, `password`, a standard attribute or `custom:NAME`")
}

/// Column names that probably hold a password.
pub(crate) fn looks_like_password(name: &str) -> bool {
    let lower = name.trim().to_lowercase();
    [
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "kennwort",
        "contraseña",
        "mot de passe",
        "senha",
    ]
    .iter()
    .any(|word| lower.contains(word))
        || matches!(lower.as_str(), "pass" | "pw" | "secret")
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Compiled {
    /// Whether this compilation is for exactly these columns.
    pub(crate) fn is_for(&self, columns: &Arc<Columns>) -> bool {
        Arc::ptr_eq(&self.columns, columns)
    }

    /// Columns that map to nothing and are not ignored.
    pub(crate) fn unmapped(&self) -> impl Iterator<Item = &Unmapped> {
        self.unmapped.iter().map(|(_, u)| u)
    }

    /// The user attributes the mapping writes, each with where its rule is
    /// (`file:line`, or the column it maps by name), for checks of the
    /// mapping as a whole.
    pub(crate) fn attribute_sources(&self) -> impl Iterator<Item = (&str, String)> {
        self.rules.iter().filter_map(|rule| match &rule.target {
            Target::Attribute(name) => {
                let from = match (&rule.origin, &rule.column) {
                    (Some(origin), _) => origin.clone(),
                    (None, Some(column)) => format!("column {column:?}"),
                    (None, None) => "the mapping".to_owned(),
                };
                Some((&**name, from))
            }
            _ => None,
        })
    }

    /// Whether some rule gives the password (a column, a template, a
    /// constant or a generated one).
    pub(crate) fn has_password(&self) -> bool {
        self.rules
            .iter()
            .any(|rule| rule.target == Target::Password)
    }

    /// Input columns the error report leaves out: password columns and
    /// columns no rule reads.
    pub(crate) fn uncopied_columns(&self) -> &[String] {
        &self.uncopied_columns
    }

    /// The cells [`Compiled::redact`] blanks.
    pub(crate) fn uncopied_indices(&self) -> &[usize] {
        &self.uncopied_indices
    }

    /// Blanks the row's cells the error report must not copy (passwords,
    /// unread columns), whichever columns the report was set up with.
    pub(crate) fn redact(&self, row: &mut Row) {
        if self
            .uncopied_indices
            .iter()
            .any(|i| !row.value(*i).is_empty())
        {
            row.values = row
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if self.uncopied_indices.contains(&i) {
                        ""
                    } else {
                        v
                    }
                })
                .collect();
        }
    }

    /// The row's username as mapped (transforms applied where they succeed),
    /// for reporting rows that fail later checks.
    pub(crate) fn username_of(&self, row: &(impl Cells + ?Sized)) -> String {
        self.rules
            .iter()
            .find(|r| r.target == Target::Username)
            // The same computation as `apply`, so the username a report
            // records is the one a resume recomputes.
            .map(|rule| {
                rule.value(row)
                    .or_else(|_| rule.source.value(row))
                    .map(Cow::into_owned)
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }

    /// Points a check's error at the input column it came from: a rule on
    /// field `email` read from column `E-mail` reports `E-mail`, naming the
    /// field in the message.
    pub(crate) fn locate(&self, mut error: RowError) -> RowError {
        let Some(field) = error.column.clone() else {
            return error;
        };
        let source = self
            .rules
            .iter()
            .find(|r| r.target.name() == field)
            .and_then(|r| r.column.as_deref());
        if let Some(column) = source.filter(|c| *c != field) {
            error.message = format!("(field {field}) {}", error.message);
            error.column = Some(column.to_owned());
        }
        error
    }

    /// Maps one row into `out`. Empty values are omitted. A non-empty cell
    /// in a column that maps to nothing refuses the row rather than dropping
    /// the value. `out`'s strings are reused: a checking thread maps every
    /// row into the same `Prepared`, which costs no allocation when values
    /// come straight from cells. On an error `out` is half-filled.
    pub(crate) fn apply_into(
        &self,
        row: &(impl Cells + ?Sized),
        out: &mut Prepared,
    ) -> Result<(), RowError> {
        for (index, unmapped) in &self.unmapped {
            if !row.cell(*index).is_empty() {
                return Err(RowError::new(
                    "UnmappedColumn",
                    Some(&unmapped.column),
                    format!("holds a value but maps to nothing: {}", unmapped.reason),
                ));
            }
        }
        out.username.clear();
        let mut password = out.password.take();
        let mut user_context_ip = out.user_context_ip.take();
        let (mut attributes, mut validation_data) = (0, 0);
        if !out.client_metadata.is_empty() {
            out.client_metadata.clear();
        }
        out.email_verified = None;
        out.phone_number_verified = None;
        out.groups.clear();
        out.enabled = None;
        for rule in &self.rules {
            let built;
            let value: &str = match (&rule.source, rule.transforms.is_empty()) {
                // Most rules copy a cell as it is: no `Cow` to build and match.
                (CompiledSource::Cell(CompiledCell::Plain(index)), true) => row.cell(*index),
                _ => {
                    built = rule.value(row)?;
                    &built
                }
            };
            if value.is_empty() {
                continue;
            }
            match &rule.target {
                Target::Username => set_string(&mut out.username, value),
                Target::Password => {
                    let secret = password.get_or_insert_with(|| Secret::new(String::new()));
                    secret.set(value);
                    out.password = password.take();
                }
                Target::Attribute(name) => {
                    set_attribute(&mut out.attributes, attributes, name, value);
                    attributes += 1;
                }
                Target::ValidationData(name) => {
                    set_attribute(&mut out.validation_data, validation_data, name, value);
                    validation_data += 1;
                }
                Target::ClientMetadata(key) => {
                    out.client_metadata.insert(key.clone(), value.to_owned());
                }
                Target::UserContextIp => {
                    let ip = user_context_ip.get_or_insert_with(String::new);
                    set_string(ip, value);
                    out.user_context_ip = user_context_ip.take();
                }
                Target::Groups(_) | Target::Enabled | Target::Verified(_) => {
                    carry_account_state(out, rule, value)?
                }
            }
        }
        out.attributes.truncate(attributes);
        out.validation_data.truncate(validation_data);
        Ok(())
    }
}

/// Keeps what the `[account]` targets carry for the steps after sign-up
/// (never sent with SignUp).
fn carry_account_state(
    out: &mut Prepared,
    rule: &CompiledRule,
    value: &str,
) -> Result<(), RowError> {
    match &rule.target {
        Target::Groups(separator) => out.groups.extend(
            value
                .split(*separator)
                .map(str::trim)
                .filter(|group| !group.is_empty())
                .map(str::to_owned),
        ),
        Target::Enabled => out.enabled = Some(verified_flag(rule, value)?),
        Target::Verified(VerifiedFlag::Email) => {
            out.email_verified = Some(verified_flag(rule, value)?)
        }
        Target::Verified(VerifiedFlag::PhoneNumber) => {
            out.phone_number_verified = Some(verified_flag(rule, value)?)
        }
        _ => {}
    }
    Ok(())
}

/// A carried boolean (a verification flag, the account state): any of the `bool` transform's
/// spellings, as exports write them (`TRUE`, `1`, `yes`).
fn verified_flag(rule: &CompiledRule, value: &str) -> Result<bool, RowError> {
    match Transform::Bool.apply(value) {
        Ok(text) => Ok(text == "true"),
        Err((code, reason)) => {
            let column = rule.column.as_deref().unwrap_or_else(|| rule.target.name());
            Err(RowError::new(code, Some(column), reason))
        }
    }
}

/// Overwrites `target` with `value`, keeping its allocation.
fn set_string(target: &mut String, value: &str) {
    target.clear();
    target.push_str(value);
}

/// Makes `list[at]` the attribute `name` = `value`, reusing the slot's
/// string when there is one (the same rules fill the same slots row after row).
fn set_attribute(list: &mut Vec<AttributeType>, at: usize, name: &AttrName, value: &str) {
    match list.get_mut(at) {
        Some(slot) => {
            if !slot.name.same(name) {
                slot.name = name.clone();
            }
            set_string(&mut slot.value, value);
        }
        None => list.push(AttributeType::new(name.clone(), value)),
    }
}

impl CompiledRule {
    /// The rule's value for `row`: its source, then its transforms in order,
    /// stopping at an empty value (empty values are left out of requests).
    fn value<'a>(&'a self, row: &'a (impl Cells + ?Sized)) -> Result<Cow<'a, str>, RowError> {
        let mut value = self.source.value(row).map_err(|(code, reason)| {
            let column = self.column.as_deref().unwrap_or_else(|| self.target.name());
            RowError::new(code, Some(column), reason)
        })?;
        for transform in &self.transforms {
            if value.is_empty() {
                break;
            }
            value = Cow::Owned(transform.apply(&value).map_err(|(code, reason)| {
                let column = self.column.as_deref().unwrap_or_else(|| self.target.name());
                // Never echo a password, whatever the transform says.
                let reason = if self.target == Target::Password {
                    "the password could not be transformed".to_owned()
                } else {
                    reason
                };
                RowError::new(code, Some(column), reason)
            })?);
        }
        Ok(value)
    }
}

impl CompiledSource {
    /// Borrowed from the row or the mapping unless it has to be built.
    fn value<'a>(
        &'a self,
        row: &'a (impl Cells + ?Sized),
    ) -> Result<Cow<'a, str>, json_path::PathError> {
        Ok(match self {
            CompiledSource::Cell(cell) => cell.value(row)?,
            CompiledSource::Constant(value) => Cow::Borrowed(value),
            CompiledSource::Template(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        CompiledPart::Text(t) => text.push_str(t),
                        CompiledPart::Cell(cell) => text.push_str(&cell.value(row)?),
                    }
                }
                Cow::Owned(text)
            }
            CompiledSource::GeneratePassword(policy) => Cow::Owned(generate_password(policy)),
        })
    }
}

impl CompiledCell {
    /// The input column the value is in.
    fn index(&self) -> usize {
        match self {
            CompiledCell::Plain(index)
            | CompiledCell::Json(index)
            | CompiledCell::Path(index, _) => *index,
        }
    }

    fn value<'a>(
        &self,
        row: &'a (impl Cells + ?Sized),
    ) -> Result<Cow<'a, str>, json_path::PathError> {
        let text = row.cell(self.index());
        match self {
            CompiledCell::Plain(_) => Ok(Cow::Borrowed(text)),
            CompiledCell::Json(index) if json_path::is_nested(text) => {
                let column = row.columns().names().get(*index).map_or("", String::as_str);
                Err(json_path::nested_cell_reason(text, column))
            }
            CompiledCell::Json(_) => Ok(Cow::Borrowed(text)),
            CompiledCell::Path(_, path) => json_path::lookup(text, path).map(Cow::Owned),
        }
    }
}

/// The cell a source name reads: the column of that exact name (a CSV
/// header may hold dots), else a dotted path whose first segment is a
/// column (`user_metadata.plan`, `a\.b` for a key with a dot).
fn resolve(columns: &Columns, name: &str) -> Option<CompiledCell> {
    if let Some(index) = columns.position(name) {
        return Some(cell_at(columns, index));
    }
    let mut segments = json_path::split(name);
    let index = columns.position(&segments[0])?;
    if segments.len() == 1 {
        return Some(cell_at(columns, index));
    }
    segments.remove(0);
    Some(CompiledCell::Path(index, segments.into()))
}

/// Whether `columns` have what the source name `name` reads (a column, or
/// the first segment of a dotted path).
pub(crate) fn finds_source(columns: &Columns, name: &str) -> bool {
    resolve(columns, name).is_some()
}

/// Column `index` read whole: guarded when it has held nested JSON.
fn cell_at(columns: &Columns, index: usize) -> CompiledCell {
    if columns.holds_json(index) {
        CompiledCell::Json(index)
    } else {
        CompiledCell::Plain(index)
    }
}

impl Target {
    /// The field's name as a mapping file spells it.
    pub(crate) fn name(&self) -> &str {
        match self {
            Target::Username => "username",
            Target::Password => "password",
            Target::Attribute(name) | Target::ValidationData(name) => name,
            Target::ClientMetadata(name) => name,
            Target::UserContextIp => "user_context.ip",
            Target::Verified(flag) => flag.attribute(),
            Target::Groups(_) => "groups",
            Target::Enabled => "enabled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Compiled {
        /// One row mapped into a fresh `Prepared`.
        fn apply(&self, row: &Row) -> Result<Prepared, RowError> {
            let mut prepared = Prepared::default();
            self.apply_into(row, &mut prepared)?;
            Ok(prepared)
        }
    }

    fn columns(names: &[&str]) -> Arc<Columns> {
        Arc::new(Columns::new(names.iter().map(|s| s.to_string()).collect()))
    }

    fn row(columns: &Arc<Columns>, values: &[&str]) -> Row {
        Row {
            number: 1,
            columns: Arc::clone(columns),
            values: crate::input::StringRecord::from(values.to_vec()),
        }
    }

    #[test]
    fn header_mapping_takes_standard_and_custom_columns() {
        let cols = columns(&[
            "Username",
            "password",
            "Email",
            "custom:tier",
            "phone_number",
        ]);
        let compiled = Mapping::by_header([])
            .compile(Arc::clone(&cols))
            .expect("compile");
        assert_eq!(compiled.unmapped().count(), 0);
        assert_eq!(compiled.uncopied_columns(), ["password"]);
        // Password columns and columns no rule reads are never copied.
        let unread = columns(&["username", "Old Password", "Pass", "Temp Notes"]);
        let ignoring =
            Mapping::by_header(["Old Password", "Pass", "Temp Notes"].map(str::to_owned));
        let unread = ignoring.compile(unread).expect("compile");
        assert_eq!(
            unread.uncopied_columns(),
            ["Old Password", "Pass", "Temp Notes"]
        );
        let p = compiled
            .apply(&row(&cols, &["ann", "Secret#123", "a@x.io", "gold", ""]))
            .expect("apply");
        assert_eq!(p.username, "ann");
        assert_eq!(p.password.as_ref().map(Secret::expose), Some("Secret#123"));
        assert_eq!(
            p.attributes,
            vec![
                AttributeType::new("email", "a@x.io"),
                AttributeType::new("custom:tier", "gold")
            ]
        );
    }

    #[test]
    fn two_columns_for_one_field_leave_the_second_unmapped() {
        // Header names match case-insensitively: `username` and `Username`
        // would both feed the username, one silently losing to the other.
        let cols = columns(&["username", "Username", "Email", "email"]);
        let compiled = Mapping::by_header([]).compile(cols).expect("compile");
        let unmapped: Vec<(&str, &str)> = compiled
            .unmapped()
            .map(|u| (u.column.as_str(), u.reason))
            .collect();
        assert_eq!(
            unmapped,
            [
                (
                    "Username",
                    "its field is already mapped from another source"
                ),
                ("email", "its field is already mapped from another source")
            ]
        );
    }

    #[test]
    fn unknown_and_forbidden_columns_are_unmapped_unless_ignored() {
        let cols = columns(&["username", "Internal Notes", "sub"]);
        let compiled = Mapping::by_header([])
            .compile(Arc::clone(&cols))
            .expect("compile");
        let names: Vec<&str> = compiled.unmapped().map(|u| u.column.as_str()).collect();
        assert_eq!(names, ["Internal Notes", "sub"]);
        let err = compiled
            .apply(&row(&cols, &["ann", "vip", ""]))
            .expect_err("value in unmapped column");
        assert_eq!(err.code, "UnmappedColumn");
        assert_eq!(err.column.as_deref(), Some("Internal Notes"));

        let ignoring = Mapping::by_header(["Internal Notes".to_owned(), "sub".to_owned()]);
        let compiled = ignoring.compile(Arc::clone(&cols)).expect("compile");
        assert_eq!(compiled.unmapped().count(), 0);
        assert!(compiled.apply(&row(&cols, &["ann", "vip", "x"])).is_ok());
    }

    #[test]
    fn explicit_rules_need_their_columns() {
        let mapping = Mapping {
            rules: vec![Rule::column(Target::Username, "E-mail")],
            by_header: false,
            ignored: HashSet::new(),
            missing_columns_empty: false,
            input_columns: None,
        };
        let err = mapping
            .compile(columns(&["Email"]))
            .expect_err("missing column");
        assert!(err.contains("\"E-mail\""), "{err}");
    }
}

#[cfg(test)]
mod nested_tests {
    use super::*;

    /// Columns as the JSON readers make them: `user_metadata` and
    /// `identities` have held nested values.
    fn nested_columns() -> Arc<Columns> {
        let names = ["user_id", "email", "user_metadata", "identities", "a.b"];
        Arc::new(Columns::with_json(
            names.map(str::to_owned).to_vec(),
            vec![false, false, true, true, false],
        ))
    }

    fn nested_row(columns: &Arc<Columns>, metadata: &str) -> Row {
        let values = [
            "auth0|1",
            "ann@example.com",
            metadata,
            r#"[{"provider":"auth0","user_id":"1"}]"#,
            "flat",
        ];
        Row {
            number: 1,
            columns: Arc::clone(columns),
            values: crate::input::StringRecord::from(values.to_vec()),
        }
    }

    fn mapping(rules: &[(&str, &str)], ignored: &[&str]) -> Mapping {
        let mut mapping = Mapping::by_header(ignored.iter().map(|s| s.to_string()));
        for (attribute, source) in rules {
            let target = Target::Attribute(AttrName::interned(attribute));
            mapping.rules.push(Rule::column(target, *source));
        }
        mapping
            .rules
            .push(Rule::column(Target::Username, "user_id"));
        mapping
    }

    fn attribute(prepared: &Prepared, name: &str) -> Option<String> {
        prepared
            .attributes
            .iter()
            .find(|a| &*a.name == name)
            .map(|a| a.value.clone())
    }

    #[test]
    fn dotted_paths_read_inside_nested_values() {
        let cols = nested_columns();
        let rules = [
            ("custom:plan", "user_metadata.plan"),
            ("custom:provider", "identities.0.provider"),
            ("custom:flat", "a.b"),
        ];
        let compiled = mapping(&rules, &[]).compile(cols.clone()).expect("compile");
        // Read through paths, both nested columns count as mapped.
        assert_eq!(compiled.unmapped().count(), 0);
        let mut out = Prepared::default();
        let row = nested_row(&cols, r#"{"plan":"pro","seats":3}"#);
        compiled.apply_into(&row, &mut out).expect("maps");
        assert_eq!(attribute(&out, "custom:plan").as_deref(), Some("pro"));
        assert_eq!(attribute(&out, "custom:provider").as_deref(), Some("auth0"));
        // A CSV-style header with a dot is read whole, not as a path.
        assert_eq!(attribute(&out, "custom:flat").as_deref(), Some("flat"));
        // A row without the key leaves the attribute out.
        let row = nested_row(&cols, r#"{"seats":3}"#);
        compiled.apply_into(&row, &mut out).expect("maps");
        assert_eq!(attribute(&out, "custom:plan"), None);
    }

    #[test]
    fn a_nested_value_mapped_whole_refuses_its_row_with_the_fix() {
        let cols = nested_columns();
        let compiled = mapping(&[("custom:plan", "user_metadata")], &["identities", "a.b"])
            .compile(cols.clone())
            .expect("compile");
        let mut out = Prepared::default();
        let error = compiled
            .apply_into(&nested_row(&cols, r#"{"plan":"pro"}"#), &mut out)
            .expect_err("an object is not one attribute");
        assert_eq!(error.code, "NestedValue");
        assert_eq!(error.column.as_deref(), Some("user_metadata"));
        assert!(error.message.contains("user_metadata.plan"), "{error}");
        // A scalar in the same column still maps.
        compiled
            .apply_into(&nested_row(&cols, "pro"), &mut out)
            .expect("a string maps");
        assert_eq!(attribute(&out, "custom:plan").as_deref(), Some("pro"));
    }

    #[test]
    fn a_nested_column_nothing_maps_is_one_unmapped_column_that_ignore_silences() {
        let cols = nested_columns();
        let compiled = mapping(&[("custom:plan", "user_metadata.plan")], &[])
            .compile(cols.clone())
            .expect("compile");
        let unmapped: Vec<&str> = compiled.unmapped().map(|u| u.column.as_str()).collect();
        assert_eq!(unmapped, ["identities", "a.b"]);
        let ignoring = mapping(
            &[("custom:plan", "user_metadata.plan")],
            &["identities", "a.b"],
        )
        .compile(cols.clone())
        .expect("compile");
        let mut out = Prepared::default();
        ignoring
            .apply_into(&nested_row(&cols, r#"{"plan":"pro"}"#), &mut out)
            .expect("ignored nested values refuse nothing");
    }

    #[test]
    fn a_path_into_a_column_that_does_not_exist_is_a_mapping_error() {
        let cols = nested_columns();
        let error = mapping(&[("custom:plan", "app_metadata.plan")], &[])
            .compile(cols)
            .expect_err("no app_metadata column");
        assert!(error.contains("app_metadata.plan"), "{error}");
    }
}
