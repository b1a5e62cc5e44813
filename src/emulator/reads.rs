//! The operations that only look: `ListUsers` (pages of at most 60 in
//! creation order), `AdminGetUser` and `AdminListGroupsForUser`.

use super::admin_wire::{GroupType, ListGroupsForUserRequest, ListGroupsForUserResponse};
use super::checks::Refusal;
use super::state::PoolState;
use crate::send::cognito::wire::{AdminGetUserResponse, ListUsersResponse};

/// A pagination token: the position to go on from, as this emulator
/// hands them out.
fn position(token: Option<&str>) -> Result<usize, Refusal> {
    token.map_or(Ok(0), |t| {
        t.parse::<usize>().map_err(|_| {
            (
                "InvalidParameterException",
                "Invalid pagination token".to_owned(),
            )
        })
    })
}

impl PoolState {
    /// `ListUsers`: pages of at most 60, in creation order.
    pub(crate) fn list_users(
        &self,
        pool_id: &str,
        limit: Option<usize>,
        token: Option<&str>,
    ) -> Result<ListUsersResponse, Refusal> {
        self.check_pool_id(pool_id)?;
        let limit = limit.unwrap_or(60).clamp(1, 60);
        let start = position(token)?;
        let users = self.users();
        let (page, next) = users.page(start, limit);
        Ok(ListUsersResponse {
            users: page.into_iter().map(|u| u.user_type()).collect(),
            pagination_token: next.map(|n| n.to_string()),
        })
    }

    /// `AdminGetUser`, by username (or alias in alias pools).
    pub(crate) fn admin_get_user(
        &self,
        pool_id: &str,
        username: &str,
    ) -> Result<AdminGetUserResponse, Refusal> {
        self.with_user(pool_id, username, |users, slot| {
            let user = users.get(slot).map(|u| u.user_type());
            let user = user.ok_or_else(super::state::user_not_found)?;
            Ok(AdminGetUserResponse {
                username: user.username,
                user_attributes: user.attributes,
                user_create_date: user.user_create_date,
                user_last_modified_date: user.user_last_modified_date,
                enabled: user.enabled,
                user_status: user.user_status,
            })
        })
    }

    /// `AdminListGroupsForUser`: the user's groups in the pool's order,
    /// pages of at most 60.
    pub(crate) fn admin_list_groups_for_user(
        &self,
        request: &ListGroupsForUserRequest,
    ) -> Result<ListGroupsForUserResponse, Refusal> {
        let limit = request.limit.unwrap_or(60).clamp(1, 60);
        let start = position(request.next_token.as_deref())?;
        let names = self.with_user(&request.user_pool_id, &request.username, |users, slot| {
            Ok(users
                .get(slot)
                .map(|u| u.groups.clone())
                .unwrap_or_default())
        })?;
        let mine: Vec<&GroupType> = self
            .groups
            .iter()
            .filter(|g| names.contains(&g.group_name))
            .collect();
        let page: Vec<GroupType> = mine
            .iter()
            .skip(start)
            .take(limit)
            .map(|g| (*g).clone())
            .collect();
        let next = start + page.len();
        Ok(ListGroupsForUserResponse {
            next_token: (next < mine.len()).then(|| next.to_string()),
            groups: page,
        })
    }
}
