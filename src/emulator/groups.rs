//! The pool's groups, for AdminAddUserToGroup: named on the command line
//! (`--group NAME`, repeatable) and/or read from what `aws cognito-idp
//! list-groups` prints (`--groups FILE`, `{"Groups": [{"GroupName": …}]}`).

use std::path::Path;

use anyhow::Context;

use super::admin_wire::{GroupType, ListGroupsFile};
use super::state::now_epoch;

/// The groups of `--groups FILE` and then of each `--group NAME`, each
/// name once (the first description wins).
pub(crate) fn load(file: Option<&Path>, names: &[String]) -> anyhow::Result<Vec<GroupType>> {
    let mut groups: Vec<GroupType> = match file {
        Some(path) => read(path)?,
        None => Vec::new(),
    };
    let now = now_epoch();
    groups.extend(names.iter().map(|name| GroupType {
        group_name: name.clone(),
        user_pool_id: None,
        description: None,
        role_arn: None,
        precedence: None,
        last_modified_date: Some(now),
        creation_date: Some(now),
    }));
    let mut seen = std::collections::HashSet::new();
    groups.retain(|g| seen.insert(g.group_name.clone()));
    for group in &groups {
        check_name(&group.group_name)?;
    }
    Ok(groups)
}

fn read(path: &Path) -> anyhow::Result<Vec<GroupType>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: ListGroupsFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not in the shape `aws cognito-idp list-groups` prints ({{\"Groups\": [{{\"GroupName\": …}}]}})",
            path.display()
        )
    })?;
    Ok(file.groups)
}

/// Cognito's group-name rule: 1–128 letters, marks, symbols, numbers or
/// punctuation (no white space or control characters).
fn check_name(name: &str) -> anyhow::Result<()> {
    let length = name.chars().count();
    let fits = name.chars().all(|c| !c.is_whitespace() && !c.is_control());
    if (1..=128).contains(&length) && fits {
        Ok(())
    } else {
        anyhow::bail!(
            "{name:?} is not a group name: 1–128 characters, no spaces or control characters"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_flags_are_merged_each_name_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("groups.json");
        std::fs::write(
            &path,
            r#"{"Groups": [{"GroupName": "admins", "Description": "Admins", "Precedence": 1,
                "UserPoolId": "us-east-1_X", "CreationDate": 1.5, "LastModifiedDate": 2.5}]}"#,
        )
        .expect("write");
        let names = ["staff".to_owned(), "admins".to_owned()];
        let groups = load(Some(&path), &names).expect("groups");
        let listed: Vec<&str> = groups.iter().map(|g| g.group_name.as_str()).collect();
        assert_eq!(listed, ["admins", "staff"]);
        assert_eq!(groups[0].description.as_deref(), Some("Admins"));
        assert_eq!(groups[0].precedence, Some(1));
    }

    #[test]
    fn bad_files_and_names_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("groups.json");
        std::fs::write(&path, r#"[{"GroupName": "admins"}]"#).expect("write");
        assert!(load(Some(&path), &[]).is_err_and(|e| e.to_string().contains("list-groups")));
        assert!(load(None, &["two words".to_owned()]).is_err());
        assert!(load(None, &[String::new()]).is_err());
        assert!(load(None, &["ops-team".to_owned()]).is_ok());
    }
}
