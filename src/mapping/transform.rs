//! Value transforms a mapping rule may apply, in order: `trim`, `lowercase`,
//! `uppercase`, `collapse_spaces`, `e164`, `{ date = "<strftime>" }`, `bool`,
//! `epoch` and `epoch_ms`. Each is a pure function from a cell to its normalised form,
//! or the rule code and reason that make the row `invalid`.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};

/// One transform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transform {
    Trim,
    Lowercase,
    Uppercase,
    CollapseSpaces,
    /// National or international phone formats to `+digits`, national
    /// numbers read in the given default region (ISO 3166 code).
    E164 {
        default_country: Option<phonenumber::country::Id>,
    },
    /// A date in this strftime format to `YYYY-MM-DD`.
    Date(String),
    /// `y/n/yes/no/1/0/true/false` (any case) to `true`/`false`.
    Bool,
    /// A date-time (RFC 3339, `YYYY-MM-DD HH:MM:SS` taken as UTC, a date, or
    /// epoch seconds already, whole or fractional) to epoch seconds.
    Epoch,
    /// Epoch milliseconds (Firebase's `createdAt`, JavaScript's
    /// `Date.now()`), whole or fractional, to epoch seconds.
    EpochMs,
}

/// Why a value could not be transformed: rule code and reason.
pub(crate) type TransformError = (&'static str, String);

/// The transform names a mapping file may use as plain strings.
pub(crate) const NAMES: &[&str] = &[
    "trim",
    "lowercase",
    "uppercase",
    "collapse_spaces",
    "e164",
    "bool",
    "epoch",
    "epoch_ms",
];

impl Transform {
    /// Parses a plain transform name.
    pub(crate) fn from_name(
        name: &str,
        default_country: Option<phonenumber::country::Id>,
    ) -> Option<Transform> {
        Some(match name {
            "trim" => Transform::Trim,
            "lowercase" => Transform::Lowercase,
            "uppercase" => Transform::Uppercase,
            "collapse_spaces" => Transform::CollapseSpaces,
            "e164" => Transform::E164 { default_country },
            "bool" => Transform::Bool,
            "epoch" => Transform::Epoch,
            "epoch_ms" => Transform::EpochMs,
            _ => return None,
        })
    }

    /// A `date` transform, if the format is a valid strftime format with a
    /// year, a month and a day.
    pub(crate) fn date(format: &str) -> Result<Transform, String> {
        let items: Vec<Item> = StrftimeItems::new(format).collect();
        if items.iter().any(|i| matches!(i, Item::Error)) {
            return Err(format!("{format:?} is not a valid strftime format"));
        }
        // Parsing a known date back proves the format names year, month and day.
        let probe = NaiveDate::from_ymd_opt(1987, 11, 23).map(|d| d.format(format).to_string());
        match probe.map(|text| NaiveDate::parse_from_str(&text, format)) {
            Some(Ok(date)) if Some(date) == NaiveDate::from_ymd_opt(1987, 11, 23) => {
                Ok(Transform::Date(format.to_owned()))
            }
            _ => Err(format!(
                "{format:?} does not name a full date; use e.g. \"%m/%d/%Y\" or \"%d.%m.%Y\""
            )),
        }
    }

    /// Applies the transform to one value.
    pub(crate) fn apply(&self, value: &str) -> Result<String, TransformError> {
        Ok(match self {
            Transform::Trim => value.trim().to_owned(),
            Transform::Lowercase => value.to_lowercase(),
            Transform::Uppercase => value.to_uppercase(),
            Transform::CollapseSpaces => value.split_whitespace().collect::<Vec<_>>().join(" "),
            Transform::E164 { default_country } => e164(value, *default_country)?,
            Transform::Date(format) => NaiveDate::parse_from_str(value.trim(), format)
                .ok()
                // A value already in SignUp's form passes: exports mix them,
                // and four digits first cannot be a day or a month.
                .or_else(|| iso_date(value.trim()))
                // `YYYY-MM-DD` holds the years 0 to 9999 only.
                .filter(|date| (0..=9999).contains(&date.year()))
                .ok_or_else(|| {
                    (
                        "InvalidDate",
                        format!("{value:?} is not a date in the format {format:?}"),
                    )
                })?
                .format("%Y-%m-%d")
                .to_string(),
            Transform::Bool => match value.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" | "1" | "true" => "true".to_owned(),
                "n" | "no" | "0" | "false" => "false".to_owned(),
                _ => {
                    return Err((
                        "InvalidBoolean",
                        format!("{value:?} is not one of y/n/yes/no/1/0/true/false"),
                    ))
                }
            },
            Transform::Epoch => epoch(value.trim())
                .ok_or_else(|| {
                    (
                        "InvalidEpoch",
                        format!("{value:?} is not a date-time (e.g. 2019-05-17 14:03:22)"),
                    )
                })?
                .to_string(),
            Transform::EpochMs => epoch_ms(value.trim())
                .ok_or_else(|| {
                    (
                        "InvalidEpoch",
                        format!("{value:?} is not epoch milliseconds (e.g. 1600090000000)"),
                    )
                })?
                .to_string(),
        })
    }
}

/// A phone number in national or international form to `+digits`. The
/// number must have a length its country's numbers can have; it need not be
/// in an assigned range (Cognito checks only the form, and exports are full
/// of fictional `555` numbers that are real enough for a staging pool).
fn e164(value: &str, country: Option<phonenumber::country::Id>) -> Result<String, TransformError> {
    let bad = || {
        let hint = if country.is_none() && !value.trim_start().starts_with('+') {
            "; it has no +country code and the mapping sets no default_country under [options]"
        } else {
            ""
        };
        (
            "InvalidPhoneNumber",
            format!("{value:?} is not a phone number{hint}"),
        )
    };
    let number = phonenumber::parse(country, value.trim()).map_err(|_| bad())?;
    if !phonenumber::is_valid(&number) && !has_possible_length(&number) {
        return Err(bad());
    }
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    // E.164 has 15 digits at most, which a country code plus a national
    // number of a length its country allows can pass (+49 and 14 digits).
    if e164.len() > 1 + 15 {
        return Err(bad());
    }
    Ok(e164)
}

/// Whether the national number is as long as some number of its country
/// code can be (libphonenumber's "possible number" length test).
fn has_possible_length(number: &phonenumber::PhoneNumber) -> bool {
    let digits = number.national().to_string().len();
    let Ok(digits) = u16::try_from(digits) else {
        return false;
    };
    // The metadata lists lengths per kind of number (fixed line, mobile,
    // toll free, ...), not on the general descriptor.
    phonenumber::metadata::DATABASE
        .by_code(&number.code().value())
        .is_some_and(|regions| {
            regions.iter().any(|m| {
                let d = m.descriptors();
                [
                    d.fixed_line(),
                    d.mobile(),
                    d.toll_free(),
                    d.voip(),
                    d.personal_number(),
                ]
                .into_iter()
                .flatten()
                .any(|kind| kind.possible_length().contains(&digits))
            })
        })
}

/// Whole seconds of a non-negative decimal number of `unit`s per second
/// (`1600090000.5` s, `1600090000500` ms): the fraction is dropped.
fn whole_seconds(value: &str, unit: i64) -> Option<i64> {
    let (whole, fraction) = match value.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (value, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    Some(whole.parse::<i64>().ok()? / unit)
}

/// A date written exactly `YYYY-MM-DD`.
fn iso_date(value: &str) -> Option<NaiveDate> {
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    shaped.then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())?
}

fn epoch_ms(value: &str) -> Option<i64> {
    whole_seconds(value, 1000)
}

fn epoch(value: &str) -> Option<i64> {
    if let Some(seconds) = whole_seconds(value, 1) {
        return Some(seconds);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.timestamp());
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(value, format) {
            return Some(t.and_utc().timestamp());
        }
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Option<phonenumber::country::Id> {
        Some(phonenumber::country::Id::US)
    }

    #[test]
    fn text_transforms() {
        assert_eq!(Transform::Trim.apply("  a b  "), Ok("a b".into()));
        assert_eq!(Transform::Lowercase.apply("MaRíA"), Ok("maría".into()));
        assert_eq!(Transform::Uppercase.apply("zoë"), Ok("ZOË".into()));
        assert_eq!(
            Transform::CollapseSpaces.apply(" Mary   Ann \t Lee "),
            Ok("Mary Ann Lee".into())
        );
    }

    #[test]
    fn phone_numbers_to_e164() {
        let t = Transform::E164 {
            default_country: us(),
        };
        assert_eq!(t.apply("(212) 736-5000"), Ok("+12127365000".into()));
        assert_eq!(t.apply("415.773.4500"), Ok("+14157734500".into()));
        assert_eq!(t.apply("+44 20 7946 0958"), Ok("+442079460958".into()));
        assert_eq!(t.apply("12").map_err(|e| e.0), Err("InvalidPhoneNumber"));
        // Fictional 555 numbers have a US number's length: accepted, as
        // Cognito accepts them.
        assert_eq!(t.apply("(555) 010-7788"), Ok("+15550107788".into()));
        assert_eq!(t.apply("+15550107788"), Ok("+15550107788".into()));
        // A UK national number read as a US one has no US length.
        assert_eq!(
            t.apply("020 7946 0958").map_err(|e| e.0),
            Err("InvalidPhoneNumber")
        );
        assert_eq!(
            t.apply("555-01").map_err(|e| e.0),
            Err("InvalidPhoneNumber")
        );
        let no_region = Transform::E164 {
            default_country: None,
        };
        let error = no_region.apply("(212) 736-5000").expect_err("no region");
        assert_eq!(error.0, "InvalidPhoneNumber");
        assert!(error.1.contains("default_country"), "{}", error.1);
        assert_eq!(
            no_region.apply("+44 20 7946 0958"),
            Ok("+442079460958".into())
        );
    }

    /// Bug: a German national number of 14 digits (a length Germany
    /// allows) became +49 and 14 digits, 16 in all: not E.164.
    #[test]
    fn e164_refuses_more_than_15_digits() {
        let t = Transform::E164 {
            default_country: Some(phonenumber::country::Id::DE),
        };
        assert_eq!(
            t.apply("100000-00-000000").map_err(|e| e.0),
            Err("InvalidPhoneNumber")
        );
        assert_eq!(t.apply("030 1234567"), Ok("+49301234567".into()));
    }

    #[test]
    fn dates() {
        let t = Transform::date("%m/%d/%Y").expect("format");
        assert_eq!(t.apply("03/04/1980"), Ok("1980-03-04".into()));
        assert_eq!(t.apply("02/30/1985").map_err(|e| e.0), Err("InvalidDate"));
        assert!(Transform::date("%Q").is_err());
        assert!(Transform::date("%m/%Y").is_err(), "no day");
        assert!(Transform::date("%d.%m.%Y").is_ok());
        // Already in SignUp's form: passes as it is; a near miss does not.
        assert_eq!(t.apply("1980-03-04"), Ok("1980-03-04".into()));
        assert_eq!(t.apply("1980-3-4").map_err(|e| e.0), Err("InvalidDate"));
        assert_eq!(t.apply("1980-02-30").map_err(|e| e.0), Err("InvalidDate"));
    }

    /// Bug: `%Y` reads any year, and a year past 9999 or before 0 came out
    /// as `+12345-01-01` or `-0001-01-01`, not `YYYY-MM-DD`.
    #[test]
    fn date_refuses_years_yyyy_cannot_hold() {
        let t = Transform::date("%Y-%m-%d").expect("format");
        for value in ["-1-1-1", "12345-01-01"] {
            assert_eq!(
                t.apply(value).map_err(|e| e.0),
                Err("InvalidDate"),
                "{value}"
            );
        }
        assert_eq!(t.apply("0999-12-31"), Ok("0999-12-31".into()));
        assert_eq!(t.apply("9999-1-2"), Ok("9999-01-02".into()));
    }

    #[test]
    fn booleans() {
        for (input, out) in [
            ("Y", "true"),
            ("no", "false"),
            ("1", "true"),
            ("FALSE", "false"),
            (" yes ", "true"),
        ] {
            assert_eq!(Transform::Bool.apply(input), Ok(out.into()), "{input}");
        }
        assert_eq!(
            Transform::Bool.apply("maybe").map_err(|e| e.0),
            Err("InvalidBoolean")
        );
    }

    #[test]
    fn epochs() {
        assert_eq!(
            Transform::Epoch.apply("2019-05-17 14:03:22"),
            Ok("1558101802".into())
        );
        assert_eq!(
            Transform::Epoch.apply("2019-05-17T14:03:22+02:00"),
            Ok("1558094602".into())
        );
        assert_eq!(
            Transform::Epoch.apply("1558101802"),
            Ok("1558101802".into())
        );
        assert_eq!(Transform::Epoch.apply("1970-01-02"), Ok("86400".into()));
        assert_eq!(
            Transform::Epoch.apply("1558101802.75"),
            Ok("1558101802".into())
        );
        assert_eq!(
            Transform::EpochMs.apply("1600090000000"),
            Ok("1600090000".into())
        );
        assert_eq!(
            Transform::EpochMs.apply(" 1600090000999.5 "),
            Ok("1600090000".into())
        );
        assert!(Transform::EpochMs.apply("2020-09-14").is_err());
        assert!(Transform::Epoch.apply("12.").is_err() && Transform::Epoch.apply(".5").is_err());
        assert_eq!(
            Transform::Epoch.apply("soon").map_err(|e| e.0),
            Err("InvalidEpoch")
        );
    }
}
