//! Writing the deletion report: CSV (or NDJSON for `.ndjson`/`.jsonl`),
//! owner-only like every report, one line per user, each flushed as it is
//! written, so an interrupted deletion leaves a report `--resume` finishes.

use std::io::Write;
use std::path::Path;

use crate::report::csv_line::write_record;
use crate::report::private_file::{create_private, open_private};
use crate::report::temp_file::TempFile;
use crate::report::write::{ReportFile, ReportFormat};
use crate::teardown::outcome::{DeletionEntry, DELETION_COLUMNS};

/// Writes deletion report entries.
pub(crate) struct DeletionWriter {
    file: ReportFile,
}

impl DeletionWriter {
    /// Creates the report at `path` (refused when it exists, unless
    /// `overwrite`); writes the CSV header.
    pub(crate) fn create(path: &Path, overwrite: bool) -> anyhow::Result<Self> {
        let mut file = ReportFile::new(create_private(path, overwrite)?, path);
        file.header(DELETION_COLUMNS)?;
        Ok(DeletionWriter { file })
    }

    /// A new report in `temp`, in the format of the name it will take.
    pub(crate) fn to_temp(temp: &TempFile, target: &Path) -> anyhow::Result<Self> {
        let mut file = ReportFile::new(temp.handle()?, target);
        file.header(DELETION_COLUMNS)?;
        Ok(DeletionWriter { file })
    }

    /// Continues the report at `path`, which holds its header already.
    pub(crate) fn append(path: &Path) -> anyhow::Result<Self> {
        let file = ReportFile::new(open_private(path, true)?, path);
        Ok(DeletionWriter { file })
    }

    /// Writes one entry and flushes it: deletions are few per second, and
    /// a deleted user missing from the report would be `gone` next time.
    pub(crate) fn write(&mut self, entry: &DeletionEntry) -> anyhow::Result<()> {
        let out = &mut self.file.out;
        match self.file.format {
            ReportFormat::Csv => {
                let row = itoa::Buffer::new().format(entry.row).to_owned();
                let fields = [
                    row.as_str(),
                    &entry.username,
                    &entry.user_sub,
                    entry.status.as_str(),
                    &entry.error_code,
                    &entry.error_message,
                ];
                write_record(out, fields)?;
            }
            ReportFormat::Ndjson => {
                serde_json::to_writer(&mut *out, entry)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(self.file.flush()?)
    }

    /// Flushes and forces the bytes to disk.
    pub(crate) fn sync(mut self) -> anyhow::Result<()> {
        Ok(self.file.sync()?)
    }
}
