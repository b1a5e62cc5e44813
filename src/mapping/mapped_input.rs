//! An input opened with its mapping compiled: what every reader of the
//! input starts from (the run itself, the `--resume` check, the error
//! report's rewrite), made by `report::fed_back::open`, which also knows an
//! error report fed back as input. The first record is read before
//! compiling because for NDJSON the columns are the first record's keys.

use crate::input::{ReadError, Row, RowSource};
use crate::mapping::rules::Compiled;

/// Why an input could not be opened with its mapping.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenMappedError {
    /// The input cannot be opened or has no readable header.
    #[error("{0:#}")]
    Input(anyhow::Error),
    /// The mapping does not fit the input's columns (a missing column).
    #[error("{0}")]
    Mapping(String),
}

/// A row source, its first record (already read) and the mapping compiled
/// for the columns known after it.
pub(crate) struct MappedInput {
    pub(crate) source: Box<dyn RowSource>,
    pub(crate) first: Option<Result<Row, ReadError>>,
    pub(crate) compiled: Compiled,
}

impl MappedInput {
    /// Every record, the first one included.
    pub(crate) fn records(self) -> (Compiled, impl Iterator<Item = Result<Row, ReadError>>) {
        (self.compiled, self.first.into_iter().chain(self.source))
    }
}
