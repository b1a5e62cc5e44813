//! Opening a run's input, which may be an error report of an earlier run
//! that a person fixed: recognised by its header (the report's own
//! columns), those columns are left out of the mapping and, for CSV, each
//! cell is read as the input had it ([`crate::report::fed_back_rows`]).
//! Every reader of a run's input opens it here (the run, the `--resume`
//! check, the error report's rewrite), so all of them see the same rows.

use std::path::Path;
use std::sync::Arc;

use crate::input::{self, Format, ReadSettings};
use crate::mapping::mapped_input::{MappedInput, OpenMappedError};
use crate::mapping::rules::{Mapping, Source, Target, TemplatePart};
use crate::report::error_columns::{fit_mapping, is_error_report_header};
use crate::report::fed_back_rows::FedBackRows;

/// What a person must do before a fixed error report can be sent.
pub(crate) const PASSWORD_HINT: &str = "this input is an error report, and an error report never holds passwords: add the password column back (under its own name, each row's password in it), or generate passwords in a mapping file";

/// A run's input, opened.
pub(crate) struct RunInput {
    pub(crate) input: MappedInput,
    /// The mapping to use with it: the one given, fitted to an error report.
    pub(crate) mapping: Mapping,
    /// The input is an error report of an earlier run.
    pub(crate) fed_back: bool,
}

/// Opens `path` with `mapping` compiled for it.
pub(crate) fn open(
    path: &Path,
    read: &ReadSettings,
    mapping: &Mapping,
) -> Result<RunInput, OpenMappedError> {
    let mut source = input::open(path, read).map_err(OpenMappedError::Input)?;
    // A CSV header is known before the first record; NDJSON keys after it.
    if read.format == Format::Csv && is_error_report_header(source.columns().names()) {
        source = Box::new(FedBackRows::new(source));
    }
    let first = source.next();
    let mut mapping = mapping.clone();
    let names = source.columns().names();
    let fed_back = is_error_report_header(names);
    if fed_back {
        fit_mapping(&mut mapping, names);
    }
    let compiled = mapping.compile(Arc::clone(source.columns())).map_err(|e| {
        match fed_back && lacks_password_column(&mapping, names) {
            true => OpenMappedError::Mapping(format!("{e}.\nNote: {PASSWORD_HINT}")),
            false => OpenMappedError::Mapping(e),
        }
    })?;
    Ok(RunInput {
        input: MappedInput {
            source,
            first,
            compiled,
        },
        mapping,
        fed_back,
    })
}

/// Whether a column the mapping builds the password from is not in `names`.
fn lacks_password_column(mapping: &Mapping, names: &[String]) -> bool {
    let absent = |name: &String| !names.contains(name);
    let rules = mapping
        .rules
        .iter()
        .filter(|r| r.target == Target::Password);
    rules.into_iter().any(|rule| match &rule.source {
        Source::Column(name) => absent(name),
        Source::Template(parts) => parts
            .iter()
            .any(|part| matches!(part, TemplatePart::Column(name) if absent(name))),
        Source::Constant(_) | Source::GeneratePassword(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::rules::Rule;

    fn settings() -> ReadSettings {
        ReadSettings {
            format: Format::Csv,
            max_record_bytes: input::MAX_RECORD_BYTES,
            delimiter: None,
            columns: None,
            encoding: None,
        }
    }

    #[test]
    fn an_error_report_is_read_as_its_input_was() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("errors-fixed.csv");
        std::fs::write(
            &path,
            "bulk-signup:row,bulk-signup:source_row,bulk-signup:status,username,given_name\n2,,invalid,ann,'=Ann\n",
        )
        .expect("write");
        let opened = open(&path, &settings(), &Mapping::by_header([])).expect("open");
        assert!(opened.fed_back);
        assert_eq!(
            opened.input.compiled.unmapped().count(),
            0,
            "no unmapped column"
        );
        let row = opened.input.first.expect("a row").expect("readable");
        assert_eq!(row.get("given_name"), "=Ann");
        assert!(opened.mapping.ignored.contains("bulk-signup:row"));
    }

    #[test]
    fn other_inputs_are_read_as_they_are() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users.csv");
        std::fs::write(&path, "row,username,given_name\n2,ann,'=Ann\n").expect("write");
        let opened =
            open(&path, &settings(), &Mapping::by_header(["row".to_owned()])).expect("open");
        assert!(!opened.fed_back);
        let row = opened.input.first.expect("a row").expect("readable");
        assert_eq!(
            row.get("given_name"),
            "'=Ann",
            "not an error report: no guard to undo"
        );
        assert!(!opened.mapping.ignored.contains("bulk-signup:row"));
    }

    #[test]
    fn a_missing_password_column_is_explained() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("errors-fixed.csv");
        std::fs::write(&path, "bulk-signup:row,Login\n2,ann\n").expect("write");
        let mut mapping = Mapping::by_header([]);
        mapping.rules = vec![
            Rule::column(Target::Username, "Login"),
            Rule::column(Target::Password, "Secret"),
        ];
        let Err(OpenMappedError::Mapping(message)) = open(&path, &settings(), &mapping) else {
            panic!("the mapping names a column the file lacks");
        };
        assert!(message.contains("\"Secret\""), "{message}");
        assert!(message.contains(PASSWORD_HINT), "{message}");
    }
}
