//! One shared copy of each attribute name the pool knows. A request brings
//! its own copy of every name; a stored user keeps the shared one instead,
//! so a million users hold eight names, not eight million (about a fifth of
//! a stored user's memory).

use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::checks::STANDARD;
use crate::send::cognito::pool::PoolDescription;
use crate::send::cognito::wire::AttributeType;

/// The names of the standard attributes, `sub` and the pool's own.
#[derive(Debug, Default)]
pub(crate) struct AttributeNames {
    known: FxHashSet<Arc<str>>,
}

impl AttributeNames {
    pub(crate) fn for_pool(pool: &PoolDescription) -> Self {
        let schema = pool.schema_attributes.iter().map(|a| a.name.as_str());
        let known = STANDARD
            .iter()
            .copied()
            .chain(["sub"])
            .chain(schema)
            .map(Arc::from)
            .collect();
        AttributeNames { known }
    }

    /// The shared copy of `name`, or a new one for a name the pool does
    /// not know.
    pub(crate) fn name(&self, name: &str) -> Arc<str> {
        self.known.get(name).cloned().unwrap_or_else(|| name.into())
    }

    /// Points each of `attributes` at the shared copy of its name.
    pub(crate) fn share(&self, attributes: &mut [AttributeType]) {
        for attribute in attributes {
            if let Some(shared) = self.known.get(&*attribute.name) {
                attribute.name = Arc::clone(shared);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_shared_and_unknown_ones_kept() {
        let pool: PoolDescription = serde_json::from_str(
            r#"{"SchemaAttributes":[{"Name":"custom:tier","AttributeDataType":"String"}]}"#,
        )
        .expect("pool");
        let names = AttributeNames::for_pool(&pool);
        let mut attributes = vec![
            AttributeType::new("email", "a@example.com"),
            AttributeType::new("custom:tier", "gold"),
            AttributeType::new("dev:odd", "x"),
        ];
        let unknown = Arc::clone(&attributes[2].name);
        names.share(&mut attributes);
        assert!(Arc::ptr_eq(&attributes[0].name, &names.name("email")));
        assert!(Arc::ptr_eq(&attributes[1].name, &names.name("custom:tier")));
        assert!(Arc::ptr_eq(&attributes[2].name, &unknown));
        assert_eq!(&*attributes[2].name, "dev:odd");
        assert!(Arc::ptr_eq(&names.name("sub"), &names.name("sub")));
        assert!(!Arc::ptr_eq(&names.name("dev:odd"), &names.name("dev:odd")));
    }
}
