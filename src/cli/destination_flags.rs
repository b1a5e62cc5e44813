//! The flags that say where requests go (`--endpoint-url`, `--region`),
//! which `run` and `delete-users` both have: one trait over both commands'
//! flags, so `settings`' one set of resolution functions (flag, then the
//! AWS SDKs' variables) serves both.

use crate::cli::delete_flags::DeleteArgs;
use crate::cli::flags::RunArgs;

/// A command's `--endpoint-url` and `--region`, as given.
pub(crate) trait DestinationFlags {
    fn endpoint_url(&self) -> Option<String>;
    fn region(&self) -> Option<String>;
}

impl DestinationFlags for RunArgs {
    fn endpoint_url(&self) -> Option<String> {
        self.endpoint_url.clone()
    }

    fn region(&self) -> Option<String> {
        self.region.clone()
    }
}

impl DestinationFlags for DeleteArgs {
    fn endpoint_url(&self) -> Option<String> {
        self.endpoint_url.clone()
    }

    fn region(&self) -> Option<String> {
        self.region.clone()
    }
}
