//! `--api` and the flags that go with it, checked before the first request:
//! `--api admin-create-user` names the pool like the steps (its id is
//! resolved with theirs), has no use for `--confirm`, and is not served by
//! the built-in emulator; its own flags mean nothing with SignUp.

use anyhow::bail;

use crate::cli::flags::{Api, RunArgs};
use crate::send::admin_create::AdminCreateSettings;

/// The admin-create settings, or `None` for SignUp. Their pool id is left
/// empty: the steps' resolution fills it in.
pub(crate) fn admin_create_settings(args: &RunArgs) -> anyhow::Result<Option<AdminCreateSettings>> {
    if args.api == Api::SignUp {
        let flags = [
            ("--send-invitation", args.send_invitation),
            ("--permanent-password", args.permanent_password),
            ("--no-permanent-password", args.no_permanent_password),
        ];
        if let Some((flag, _)) = flags.iter().find(|(_, given)| *given) {
            bail!("{flag} is for --api admin-create-user: SignUp sends no invitation and takes the password as it is");
        }
        return Ok(None);
    }
    if args.confirm {
        bail!(
            "--confirm is for SignUp users (AdminConfirmSignUp); --api admin-create-user needs no confirmation: a row with a password is CONFIRMED once its password is set (--permanent-password, the default), and a row without one stays FORCE_CHANGE_PASSWORD. Drop --confirm."
        );
    }
    Ok(Some(AdminCreateSettings {
        user_pool_id: String::new(),
        send_invitation: args.send_invitation,
        permanent: !args.no_permanent_password,
    }))
}
