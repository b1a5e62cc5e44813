//! The environment variables the settings read, behind a seam so tests
//! need not change the process's environment.

/// Looks up the environment; a seam so tests need not mutate the process env.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment; empty values count as unset.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// Variables a test sets, instead of the process's.
#[cfg(test)]
pub(crate) struct FakeEnv(pub(crate) std::collections::HashMap<&'static str, &'static str>);

#[cfg(test)]
impl Env for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.to_string())
    }
}
