//! The integration suite: drives the real `bulk-signup` binary over loopback
//! HTTP against the built-in emulator and against moto.

mod util;

mod emulator_runs;
mod mapping_runs;
mod moto_runs;
mod resume_runs;
mod usage_errors;
