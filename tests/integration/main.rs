//! The integration suite: drives the real `bulk-signup` binary over loopback
//! HTTP against the built-in emulator, moto, cognito-local and a recording
//! server, through one harness (`workdir`, `endpoint`, `inspect`).

mod endpoint;
mod inspect;
mod readme_transcript;
mod sigv4;
mod workdir;

mod admin_create_runs;
mod admin_emulator_runs;
mod cognito_local_runs;
mod concurrency_runs;
mod delete_runs;
mod emulator_admin_runs;
mod emulator_runs;
mod emulator_safety_runs;
mod export_runs;
mod fed_back_runs;
mod file_safety_runs;
mod help_runs;
mod input_runs;
mod log_runs;
mod mapping_runs;
mod merge_runs;
mod message_notice_runs;
mod moto_runs;
mod readme_runs;
mod report_order_runs;
mod resume_runs;
mod safety_runs;
mod secret_hash_runs;
mod settings_runs;
mod steps_runs;
mod summary_runs;
mod timeline_runs;
mod usage_errors;
