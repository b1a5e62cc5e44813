//! `delete-users`: the teardown for staging and the rollback of a failed
//! migration. It deletes exactly the users a run's results report says
//! this tool created (`created` rows with a `user_sub`; never `exists`
//! rows, someone else's users): each is read first (AdminGetUser) and
//! deleted (AdminDeleteUser) only when its `sub` is still the report's.
//!
//! In order: `targets` (which users), `job` (the command, start to end),
//! `connect` (endpoint, credentials, pacers), `deleter` (one user's check
//! and deletion), the deletion report's vocabulary (`outcome`), writing it
//! (`deletion_write`), reading it back (`deletion_read`) and continuing it
//! (`resume`), and the `summary` with its exit code.
//!
//! May use: `cli` (its checked settings), `report` (reading a results
//! report, owner-only and temporary files, exit codes), `send` (signed,
//! paced, retried admin calls), `run` (Ctrl-C handling).

pub(crate) mod connect;
pub(crate) mod deleter;
pub(crate) mod deletion_read;
pub(crate) mod deletion_write;
pub(crate) mod job;
pub(crate) mod outcome;
pub(crate) mod resume;
pub(crate) mod summary;
pub(crate) mod targets;

pub use job::delete_users;
pub use summary::DeleteSummary;
