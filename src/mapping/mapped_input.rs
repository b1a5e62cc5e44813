//! An input opened with its mapping compiled: the one way every reader of
//! the input starts (the run itself, the `--resume` check, the error
//! report's rewrite). The first record is read before compiling because
//! for NDJSON the columns are the first record's keys.

use std::path::Path;
use std::sync::Arc;

use crate::input::{self, ReadError, ReadSettings, Row, RowSource};
use crate::mapping::rules::{Compiled, Mapping};

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
    pub(crate) fn open(
        path: &Path,
        read: &ReadSettings,
        mapping: &Mapping,
    ) -> Result<Self, OpenMappedError> {
        let mut source = input::open(path, read).map_err(OpenMappedError::Input)?;
        let first = source.next();
        let compiled = mapping
            .compile(Arc::clone(source.columns()))
            .map_err(OpenMappedError::Mapping)?;
        Ok(MappedInput {
            source,
            first,
            compiled,
        })
    }

    /// Every record, the first one included.
    pub(crate) fn records(self) -> (Compiled, impl Iterator<Item = Result<Row, ReadError>>) {
        (self.compiled, self.first.into_iter().chain(self.source))
    }
}
