//! Mapping files for the exports people migrate from (`--preset NAME`).
//! Each is a plain mapping file in `samples/presets/`, built into the
//! binary so that `bulk-signup presets NAME` prints it for copying and
//! editing, whatever the binary was installed without.

/// One shipped mapping.
#[derive(Debug)]
pub(crate) struct Preset {
    /// The `--preset` value.
    pub(crate) name: &'static str,
    /// What it reads, in one line.
    pub(crate) reads: &'static str,
    /// The mapping file's text.
    pub(crate) text: &'static str,
}

/// Every preset, in the order `bulk-signup presets` lists them.
pub(crate) const PRESETS: [Preset; 4] = [
    Preset {
        name: "auth0",
        reads: "Auth0 bulk user export (NDJSON, also .json.gz)",
        text: include_str!("../../samples/presets/auth0.toml"),
    },
    Preset {
        name: "firebase",
        reads: "firebase auth:export, JSON form ({\"users\": [...]})",
        text: include_str!("../../samples/presets/firebase.toml"),
    },
    Preset {
        name: "firebase-csv",
        reads: "firebase auth:export, CSV form (no header row, fixed columns)",
        text: include_str!("../../samples/presets/firebase-csv.toml"),
    },
    Preset {
        name: "cognito-csv",
        reads: "Cognito's user import template (GetCSVHeader), to move users between pools",
        text: include_str!("../../samples/presets/cognito-csv.toml"),
    },
];

/// The preset called `name`.
pub(crate) fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| preset.name == name)
}

/// The preset names, for clap's list of values.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|preset| preset.name)
}

/// What `bulk-signup presets` prints: the list, or one preset's file.
pub(crate) fn describe(name: Option<&str>) -> Result<String, String> {
    match name {
        Some(name) => find(name).map(|p| p.text.to_owned()).ok_or_else(|| {
            let names: Vec<&str> = names().collect();
            format!("no preset {name:?}; the presets are {}", names.join(", "))
        }),
        None => {
            let mut text = String::from("Mapping presets (use: bulk-signup run INPUT --preset NAME; print one to edit it: bulk-signup presets NAME > mapping.toml):\n");
            for preset in &PRESETS {
                text.push_str(&format!("  {:<13} {}\n", preset.name, preset.reads));
            }
            Ok(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::file;

    /// A preset that does not parse would fail only when a user picks it.
    #[test]
    fn every_preset_is_a_valid_mapping_that_generates_passwords() {
        for preset in &PRESETS {
            let mapping = file::parse(preset.text, preset.name, None)
                .unwrap_or_else(|e| panic!("preset {}: {e}", preset.name));
            assert!(
                mapping.rules.iter().any(|rule| matches!(
                    rule.source,
                    crate::mapping::rules::Source::GeneratePassword(_)
                )),
                "{} generates passwords",
                preset.name
            );
            assert!(describe(None).expect("list").contains(preset.name));
            assert_eq!(describe(Some(preset.name)).expect("text"), preset.text);
        }
        assert!(describe(Some("okta"))
            .expect_err("unknown")
            .contains("auth0"));
    }
}
