//! Property: whatever body and `X-Amz-Target` a client sends (bytes, any
//! JSON, requests of the right shape with arbitrary members, unknown or
//! undecodable targets, signed or not), the emulator's request handling
//! never panics and always answers in Cognito's wire form: a 200 with a
//! JSON object for an operation it serves, or a 4xx/5xx whose
//! `x-amzn-ErrorType` header names the `__type` of a `{"__type", "message"}`
//! body. A panic would drop the connection, which the client takes for a
//! lost answer, not a refusal.

use std::sync::Arc;
use std::time::SystemTime;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use hyper::{Request, StatusCode};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::access::Access;
use super::faults::{FaultInjector, Faults};
use super::server::{handle, Shared};
use super::signer::{self, Signing};
use super::state::PoolState;
use crate::send::cognito::pool::{ClientDescription, PoolDescription};
use crate::send::cognito::wire::{Secret, CONTENT_TYPE, TARGET_PREFIX};

/// The sample pool, or an email/phone-as-username pool; a client without a
/// secret and one with.
fn shared(sample_pool: bool) -> Arc<Shared> {
    let pool = if sample_pool {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/pool.json");
        PoolDescription::load(std::path::Path::new(path)).expect("sample pool")
    } else {
        serde_json::from_value(json!({
            "Id": "local_alias",
            "UsernameAttributes": ["email", "phone_number"],
            "AutoVerifiedAttributes": ["phone_number"]
        }))
        .expect("pool json")
    };
    let client = |id: &str, secret: Option<&str>| ClientDescription {
        client_id: id.to_owned(),
        client_secret: secret.map(str::to_owned),
        write_attributes: None,
    };
    let clients = vec![client("client1", None), client("client2", Some("s3cret"))];
    let access = Access::new(
        Some(KEY_ID.to_owned()),
        Some(Secret::new(SECRET)),
        "us-east-1".to_owned(),
    )
    .expect("access");
    Arc::new(Shared {
        state: PoolState::new(pool, clients),
        faults: FaultInjector::new(Faults::default()),
        access,
    })
}

const KEY_ID: &str = "AKIDPROPTEST";
const SECRET: &str = "prop-test-secret";

const OPERATIONS: [&str; 12] = [
    "SignUp",
    "InitiateAuth",
    "ListUsers",
    "AdminGetUser",
    "AdminListGroupsForUser",
    "AdminCreateUser",
    "AdminConfirmSignUp",
    "AdminUpdateUserAttributes",
    "AdminAddUserToGroup",
    "AdminSetUserPassword",
    "AdminDisableUser",
    "AdminDeleteUser",
];

/// The operations a request must be signed for.
fn signed(operation: &str) -> bool {
    !matches!(operation, "SignUp" | "InitiateAuth")
}

/// Strings near what a request member holds, control characters included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(.|[\\x00-\\x1f\\x7f]){0,12}",
        "[a-z]{1,8}@[a-z]{1,5}\\.[a-z]{2,3}",
        "\\+[0-9]{3,16}",
        "[A-Za-z0-9!]{6,12}",
        "Aa1[A-Za-z0-9]{5,9}",
        Just("us-east-1_SAMPLE1".to_owned()),
    ]
}

/// A value where a string belongs: mostly a string, sometimes not.
fn member() -> impl Strategy<Value = Value> {
    prop_oneof![
        28 => text().prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
        1 => Just(Value::Null),
    ]
}

fn attributes() -> impl Strategy<Value = Value> {
    let names = prop_oneof![
        prop::sample::select(vec![
            "email",
            "phone_number",
            "name",
            "birthdate",
            "updated_at",
            "email_verified",
            "phone_number_verified",
            "custom:tier",
            "sub",
            "dev:x",
            "locale",
        ])
        .prop_map(str::to_owned),
        text(),
    ];
    prop::collection::vec((names, member()), 0..4).prop_map(|pairs| {
        Value::Array(
            pairs
                .into_iter()
                .map(|(n, v)| json!({"Name": n, "Value": v}))
                .collect(),
        )
    })
}

fn sign_up() -> impl Strategy<Value = Value> {
    let client = prop_oneof![Just(json!("client1")), Just(json!("client2")), member()];
    let parts = (client, member(), member(), prop::option::of(member()));
    (
        parts,
        attributes(),
        attributes(),
        prop::collection::btree_map(text(), member(), 0..3),
    )
        .prop_map(
            |((client, username, password, hash), attributes, validation, metadata)| {
                json!({
                    "ClientId": client, "Username": username, "Password": password,
                    "SecretHash": hash, "UserAttributes": attributes,
                    "ValidationData": validation, "ClientMetadata": metadata,
                })
            },
        )
}

fn any_json() -> impl Strategy<Value = Value> {
    member().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn list_users() -> impl Strategy<Value = Value> {
    let limit = prop::option::of(prop_oneof![0..70i64, any::<i64>()]);
    (member(), limit, member()).prop_map(|(pool, limit, token)| {
        json!({"UserPoolId": pool, "Limit": limit, "PaginationToken": token})
    })
}

fn admin_get_user() -> impl Strategy<Value = Value> {
    (member(), member()).prop_map(|(pool, user)| json!({"UserPoolId": pool, "Username": user}))
}

/// A body with the members of any admin operation or InitiateAuth, each
/// present or not, of any value.
fn admin() -> BoxedStrategy<Value> {
    let pool = prop_oneof![
        Just(json!("us-east-1_SAMPLE1")),
        Just(json!("local_alias")),
        member()
    ];
    let action = prop_oneof![Just(json!("SUPPRESS")), Just(json!("RESEND")), member()];
    let parameters = prop::collection::btree_map(
        prop::sample::select(vec!["USERNAME", "PASSWORD", "SECRET_HASH", "X"]),
        member(),
        0..4,
    );
    (
        (pool, member(), attributes(), member()),
        (prop::option::of(member()), action, any::<bool>(), member()),
        (parameters, prop::option::of(member()), member()),
    )
        .prop_map(
            |(
                (pool, user, attributes, group),
                (password, action, permanent, flow),
                (parameters, client, limit),
            )| {
                json!({
                    "UserPoolId": pool, "Username": user, "UserAttributes": attributes,
                    "GroupName": group, "TemporaryPassword": password, "Password": password,
                    "MessageAction": action, "Permanent": permanent, "AuthFlow": flow,
                    "AuthParameters": parameters, "ClientId": client, "Limit": limit,
                })
            },
        )
        .boxed()
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => sign_up().prop_map(|v| v.to_string().into_bytes()),
        1 => list_users().prop_map(|v| v.to_string().into_bytes()),
        1 => admin_get_user().prop_map(|v| v.to_string().into_bytes()),
        1 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// An operation's target with a body of its shape, or any target and body;
/// and whether to sign it (with the emulator's credentials).
fn request() -> BoxedStrategy<(Vec<u8>, Vec<u8>, bool)> {
    let op = |op: &str| format!("{TARGET_PREFIX}{op}").into_bytes();
    let json = |v: Value| v.to_string().into_bytes();
    let shaped = prop_oneof![
        4 => sign_up().prop_map(move |v| (op("SignUp"), json(v))),
        1 => list_users().prop_map(move |v| (op("ListUsers"), json(v))),
        1 => admin_get_user().prop_map(move |v| (op("AdminGetUser"), json(v))),
        4 => (prop::sample::select(OPERATIONS[1..].to_vec()), admin())
            .prop_map(move |(o, v)| (op(o), json(v))),
        3 => (target(), body()),
    ];
    (shaped.boxed(), prop::bool::weighted(0.8))
        .prop_map(|((target, body), sign)| (target, body, sign))
        .boxed()
}

fn target() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(OPERATIONS.to_vec())
            .prop_map(|op| format!("{TARGET_PREFIX}{op}").into_bytes()),
        1 => prop::sample::select(vec!["", "SignUp", "AWSCognitoIdentityProviderService.signup"])
            .prop_map(|t| t.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..48),
    ]
}

/// The request: signed with the emulator's credentials if `operation` is
/// one it serves and `sign` says so; else with `target` as it is.
fn build(
    target: &[u8],
    operation: Option<&str>,
    body: Vec<u8>,
    sign: bool,
) -> Request<Full<Bytes>> {
    if let (Some(operation), true) = (operation, sign) {
        let signing = Signing {
            key_id: KEY_ID,
            secret: SECRET,
            region: "us-east-1",
            time: SystemTime::now(),
        };
        return signer::request(operation, &body, Some(&signing));
    }
    let mut request = Request::post("/");
    if let Ok(value) = HeaderValue::from_bytes(target) {
        request = request.header("x-amz-target", value);
    }
    request.body(Full::new(Bytes::from(body))).expect("request")
}

/// Sends one request through the handler; its status, `x-amzn-ErrorType`
/// and body, after checking the headers every answer carries.
async fn send(
    shared: &Arc<Shared>,
    request: Request<Full<Bytes>>,
) -> (StatusCode, Option<String>, Value) {
    let answer = handle(Arc::clone(shared), request)
        .await
        .expect("no drop without faults");
    let headers = answer.headers();
    assert_eq!(
        headers.get("content-type").map(HeaderValue::as_bytes),
        Some(CONTENT_TYPE.as_bytes())
    );
    assert!(headers.contains_key("x-amzn-requestid"), "{headers:?}");
    let error_type = headers
        .get("x-amzn-errortype")
        .map(|v| v.to_str().expect("ASCII error type").to_owned());
    let status = answer.status();
    let bytes = answer
        .into_body()
        .collect()
        .await
        .expect("a full body")
        .to_bytes();
    let body = serde_json::from_slice(&bytes).expect("a JSON body");
    (status, error_type, body)
}

/// An answer in Cognito's shape: a 200 with a JSON object for an operation
/// the emulator serves; else a 400 or 500 whose `x-amzn-ErrorType` names the
/// body's `__type`, which says what was wrong with a request it cannot read.
fn check_answer(
    operation: Option<&str>,
    body_is_json: bool,
    sign: bool,
    (status, error_type, answer): (StatusCode, Option<String>, Value),
) -> Result<(), TestCaseError> {
    prop_assert!(answer.is_object(), "{}", answer);
    if status == StatusCode::OK {
        prop_assert!(operation.is_some() && error_type.is_none(), "{}", answer);
        return Ok(());
    }
    let statuses = [StatusCode::BAD_REQUEST, StatusCode::INTERNAL_SERVER_ERROR];
    prop_assert!(statuses.contains(&status), "{}", status);
    let code = answer["__type"].as_str().unwrap_or_default();
    prop_assert!(code.ends_with("Exception"), "{}", answer);
    prop_assert!(answer["message"].is_string(), "{}", answer);
    prop_assert_eq!(error_type, Some(format!("{code}:")));
    match operation {
        None => prop_assert_eq!(code, "UnknownOperationException"),
        Some(op) if signed(op) && !sign => {
            prop_assert_eq!(code, "MissingAuthenticationTokenException")
        }
        Some(_) if !body_is_json => prop_assert_eq!(code, "SerializationException"),
        Some(_) => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::props::config(256))]

    #[test]
    fn every_request_gets_an_answer_in_cognitos_shape(
        requests in prop::collection::vec(request(), 1..4),
        sample_pool in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let shared = shared(sample_pool);
        for (target, body, sign) in requests {
            let operation = std::str::from_utf8(&target)
                .ok()
                .and_then(|t| t.strip_prefix(TARGET_PREFIX))
                .filter(|op| OPERATIONS.contains(op));
            let is_json = serde_json::from_slice::<Value>(&body).is_ok();
            let request = build(&target, operation, body, sign);
            let answer = runtime.block_on(send(&shared, request));
            check_answer(operation, is_json, sign, answer)?;
        }
    }
}
