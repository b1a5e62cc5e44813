//! Property: every transform takes any string without panicking (a cell is
//! whatever the input holds); the text transforms are idempotent (a mapping
//! may list one twice, and re-running a cleaned file must not change it);
//! and what `e164`, `date` and `epoch` give, when they accept a value, has
//! the shape README promises and Cognito checks (`+` and 4 to 15 digits,
//! `YYYY-MM-DD`, whole epoch seconds).

use std::cell::RefCell;
use std::collections::HashMap;

use proptest::prelude::*;
use regex::Regex;

use super::transform::Transform;

/// Arbitrary text, and text near what each transform reads.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \t]{0,2}\\+?[0-9 ().\\-]{0,22}[ \t]{0,2}",
        "\\+?[0-9]{1,20}",
        "[0-9]{1,6}[-/.][0-9]{1,3}[-/.][0-9]{1,6}",
        concat!(
            "[+-]?[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}",
            "([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
        ),
        "[0-9]{1,25}",
        "(?i)[ ]?(y|n|yes|no|1|0|true|false|maybe)[ ]?",
        "[ \t\u{a0}\u{3000}a-zA-ZßİΣςσ]{0,12}",
    ]
}

fn countries() -> Vec<Option<phonenumber::country::Id>> {
    use phonenumber::country::Id;
    vec![
        None,
        Some(Id::US),
        Some(Id::GB),
        Some(Id::DE),
        Some(Id::IN),
        Some(Id::BR),
    ]
}

/// The `date` formats a mapping may plausibly name.
const DATE_FORMATS: [&str; 7] = [
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%d/%m/%y",
    "%Y%m%d",
    "%e %b %Y",
    "%B %d, %Y",
];

/// Whether `text` matches `pattern`, compiled once per test thread.
fn shape(pattern: &'static str, text: &str) -> bool {
    thread_local! {
        static COMPILED: RefCell<HashMap<&'static str, Regex>> = RefCell::default();
    }
    COMPILED.with_borrow_mut(|compiled| {
        compiled
            .entry(pattern)
            .or_insert_with(|| Regex::new(pattern).expect("pattern"))
            .is_match(text)
    })
}

proptest! {
    #![proptest_config(crate::props::config(512))]

    #[test]
    fn text_transforms_are_idempotent(value in cell()) {
        let text = [
            Transform::Trim,
            Transform::Lowercase,
            Transform::Uppercase,
            Transform::CollapseSpaces,
        ];
        for t in text {
            let once = t.apply(&value).expect("text transforms always succeed");
            let twice = t.apply(&once).expect("text transforms always succeed");
            prop_assert_eq!(&twice, &once, "{:?}", t);
        }
    }

    #[test]
    fn date_gives_yyyy_mm_dd(value in cell(), format in prop::sample::select(&DATE_FORMATS[..])) {
        let t = Transform::date(format).expect("a full date format");
        match t.apply(&value) {
            Ok(date) => {
                prop_assert!(
                    shape(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", &date),
                    "{:?} in {:?} became {:?}", value, format, date
                );
                prop_assert!(chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_ok());
            }
            Err((code, _)) => prop_assert_eq!(code, "InvalidDate"),
        }
    }

    #[test]
    fn epoch_gives_whole_seconds(value in cell()) {
        match Transform::Epoch.apply(&value) {
            Ok(seconds) => prop_assert!(
                shape(r"^(0|-?[1-9][0-9]*)$", &seconds) && seconds.parse::<i64>().is_ok(),
                "{:?} became {:?}", value, seconds
            ),
            Err((code, _)) => prop_assert_eq!(code, "InvalidEpoch"),
        }
    }

    #[test]
    fn bool_gives_true_or_false(value in cell()) {
        match Transform::Bool.apply(&value) {
            Ok(b) => prop_assert!(b == "true" || b == "false", "{:?}", b),
            Err((code, _)) => prop_assert_eq!(code, "InvalidBoolean"),
        }
    }
}

proptest! {
    // libphonenumber is slow unoptimised (7 ms a number): fewer cases.
    #![proptest_config(crate::props::config(192))]

    #[test]
    fn e164_gives_a_plus_and_4_to_15_digits(
        value in cell(),
        country in prop::sample::select(countries()),
    ) {
        let t = Transform::E164 { default_country: country };
        match t.apply(&value) {
            Ok(number) => prop_assert!(
                shape(r"^\+[1-9][0-9]{3,14}$", &number),
                "{:?} became {:?}", value, number
            ),
            Err((code, reason)) => {
                prop_assert_eq!(code, "InvalidPhoneNumber");
                prop_assert!(!reason.is_empty());
            }
        }
    }
}
