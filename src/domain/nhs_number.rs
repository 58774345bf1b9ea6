//! NHS numbers: parsing with the spaces and dashes people type, the Modulus 11 check digit, and
//! the 3-3-4 display that helps staff spot a wrong patient. The same ten-digit space holds the
//! patient numbers of all three health services, told apart by range (inclusive):
//!
//! | range                       | scheme                                   | label |
//! |-----------------------------|------------------------------------------|-------|
//! | 010 100 0000 – 311 299 9999 | Scotland's CHI number; starts DDMMYY     | CHI   |
//! | 320 000 0000 – 399 999 9999 | Northern Ireland's Health and Care number| H&C   |
//! | anything else               | NHS number (England, Wales, Isle of Man: | NHS   |
//! |                             | 400–499 and 600–799; 999 is synthetic)   |       |
//!
//! All use Modulus 11. A CHI number begins with the patient's date of birth, so one whose first
//! six digits are not a date (month 13, 31 April, 29 February in a year not divisible by four)
//! is invalid. The two-digit year does not say the century; 29 February is allowed when it is
//! divisible by four, which is right for every year from 1901 to 2099.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A ten-digit NHS number whose check digit is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber([u8; 10]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    #[error("an NHS number has 10 digits, this has {0}")]
    WrongLength(usize),
    #[error("`{0}` is not allowed in an NHS number (digits, spaces and dashes only)")]
    BadCharacter(char),
    #[error("the check digit does not match (Modulus 11): a digit was probably mistyped")]
    CheckDigit,
    // The digits themselves are never repeated: messages reach logs.
    #[error(
        "a number from 010 100 0000 to 311 299 9999 is a Scottish CHI number, which starts with \
         the date of birth as DDMMYY, and this one's first six digits are not a date"
    )]
    ChiNotADate,
}

/// Which health service's number a ten-digit patient number is, by its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberScheme {
    /// NHS number: England, Wales and the Isle of Man (and the 999 test range).
    Nhs,
    /// Community Health Index number: Scotland.
    Chi,
    /// Health and Care number: Northern Ireland.
    HealthAndCare,
}

impl NumberScheme {
    /// The short label shown before the number.
    pub fn label(self) -> &'static str {
        match self {
            Self::Nhs => "NHS",
            Self::Chi => "CHI",
            Self::HealthAndCare => "H&C",
        }
    }

    fn of(digits: &[u8; 10]) -> Self {
        let value = digits.iter().fold(0_u64, |acc, d| acc * 10 + u64::from(*d));
        match value {
            101_000_000..=3_112_999_999 => Self::Chi,
            3_200_000_000..=3_999_999_999 => Self::HealthAndCare,
            _ => Self::Nhs,
        }
    }
}

/// Whether DDMMYY names a day; for 29 February, a year divisible by four.
fn is_ddmmyy(d: &[u8]) -> bool {
    let two = |i: usize| u32::from(d[i]) * 10 + u32::from(d[i + 1]);
    let (day, month, year) = (two(0), two(2), two(4));
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// The checks every number passes beyond its shape: Modulus 11, and a date of birth for CHI.
fn validate(digits: &[u8; 10]) -> Result<(), NhsNumberError> {
    if check_digit(&digits[..9]) != Some(digits[9]) {
        return Err(NhsNumberError::CheckDigit);
    }
    if NumberScheme::of(digits) == NumberScheme::Chi && !is_ddmmyy(&digits[..6]) {
        return Err(NhsNumberError::ChiNotADate);
    }
    Ok(())
}

impl NhsNumber {
    /// Parses digits with optional spaces or dashes (`943 476 5919`, `943-476-5919`).
    pub fn parse(text: &str) -> Result<Self, NhsNumberError> {
        let mut digits = [0u8; 10];
        let mut count = 0usize;
        for c in text.trim().chars() {
            match c {
                ' ' | '-' => {}
                '0'..='9' => {
                    if count < 10 {
                        // The match arm guarantees an ASCII digit.
                        digits[count] = c as u8 - b'0';
                    }
                    count += 1;
                }
                other => return Err(NhsNumberError::BadCharacter(other)),
            }
        }
        if count != 10 {
            return Err(NhsNumberError::WrongLength(count));
        }
        validate(&digits)?;
        Ok(NhsNumber(digits))
    }

    /// Builds a valid number from its first nine digits, or `None` when Modulus 11 gives 10 or
    /// the digits are a CHI number without a date (no valid number has those nine digits). Used
    /// to make synthetic 999-range numbers.
    pub fn from_first_nine(first: [u8; 9]) -> Option<Self> {
        if first.iter().any(|d| *d > 9) {
            return None;
        }
        let check = check_digit(&first)?;
        let mut digits = [0u8; 10];
        digits[..9].copy_from_slice(&first);
        digits[9] = check;
        validate(&digits).ok()?;
        Some(NhsNumber(digits))
    }

    /// The ten digits without separators, as stored and exchanged.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// Which service's number this is (NHS, CHI or H&C), by its range.
    pub fn scheme(&self) -> NumberScheme {
        NumberScheme::of(&self.0)
    }

    /// The 3-3-4 number after its label: `CHI 010 190 0018`.
    pub fn labelled(&self) -> String {
        format!("{} {self}", self.scheme().label())
    }

    /// Numbers starting 999 are reserved for test data and never issued to a patient.
    pub fn is_synthetic(&self) -> bool {
        self.0[..3] == [9, 9, 9]
    }
}

/// Modulus 11: weights 10 down to 2 over the first nine digits; 11 becomes 0; 10 is invalid.
fn check_digit(first_nine: &[u8]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10u32).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        // `11 - x` for x in 1..=9 fits in a u8.
        n => u8::try_from(n).ok(),
    }
}

/// Shown 3-3-4 (`943 476 5919`), the form staff read back on the phone.
impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{} {} {}", &d[..3], &d[3..6], &d[6..])
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NhsNumber::parse(s)
    }
}

impl Serialize for NhsNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.digits())
    }
}

impl<'de> Deserialize<'de> for NhsNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        NhsNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_numbers_from_the_domain_notes() {
        assert_eq!(
            NhsNumber::parse("485 777 3457").map(|n| n.to_string()),
            Ok("485 777 3457".into())
        );
        assert_eq!(
            NhsNumber::parse("485 777 3456"),
            Err(NhsNumberError::CheckDigit)
        );
        assert!(NhsNumber::parse("999 000 0018").is_ok());
        assert_eq!(
            NhsNumber::parse("943-476-5919").map(|n| n.to_string()),
            Ok("943 476 5919".into())
        );
        assert_eq!(
            NhsNumber::parse("9434765919").map(|n| n.digits()),
            Ok("9434765919".into())
        );
    }

    #[test]
    fn labels_follow_the_range() {
        let label = |text: &str| NhsNumber::parse(text).map(|n| n.labelled());
        assert_eq!(label("010 100 0006"), Ok("CHI 010 100 0006".into()));
        assert_eq!(label("010 190 0015"), Ok("CHI 010 190 0015".into()));
        assert_eq!(label("311 299 9991"), Ok("CHI 311 299 9991".into()));
        assert_eq!(label("320 000 0120"), Ok("H&C 320 000 0120".into()));
        assert_eq!(label("485 777 3457"), Ok("NHS 485 777 3457".into()));
        assert_eq!(label("999 000 0018"), Ok("NHS 999 000 0018".into()));
        // Just outside the CHI range: not a date, but not a CHI number either.
        assert_eq!(label("311 300 0009"), Ok("NHS 311 300 0009".into()));
        assert_eq!(label("010 000 0002"), Ok("NHS 010 000 0002".into()));
    }

    #[test]
    fn a_chi_number_must_start_with_a_date_of_birth() {
        // Each passes Modulus 11; only the date decides.
        for not_a_date in ["290 201 1237", "310 499 1235"] {
            assert_eq!(
                NhsNumber::parse(not_a_date),
                Err(NhsNumberError::ChiNotADate),
                "{not_a_date}"
            );
        }
        for date in ["290 204 1233", "290 200 1231", "130 199 1236"] {
            assert!(NhsNumber::parse(date).is_ok(), "{date}");
        }
        assert_eq!(
            NhsNumber::from_first_nine([2, 9, 0, 2, 0, 1, 1, 2, 3]),
            None
        );
        let message = NhsNumberError::ChiNotADate.to_string();
        assert!(message.contains("DDMMYY"), "{message}");
    }

    /// Every DDMMYY with a sample of years, against chrono's calendar read the way a
    /// two-digit year is usually read (00–68 as 20xx, 69–99 as 19xx), not against our own
    /// month table. Prefixes outside the CHI range are NHS-range numbers and keep only
    /// Modulus 11; that includes 0100xx (month 00), which some validators also reject.
    #[test]
    fn chi_dates_agree_with_the_calendar_for_every_day_and_month() {
        use chrono::NaiveDate;
        for dd in 0..100_u8 {
            for mm in 0..100_u8 {
                for yy in [0_u8, 1, 4, 23, 68, 69, 96, 99] {
                    let mut first = [
                        dd / 10,
                        dd % 10,
                        mm / 10,
                        mm % 10,
                        yy / 10,
                        yy % 10,
                        0,
                        0,
                        0,
                    ];
                    // Find a tail that Modulus 11 accepts, so only the date decides.
                    let number = (0..100_u8).find_map(|tail| {
                        first[7] = tail / 10;
                        first[8] = tail % 10;
                        check_digit(&first).map(|check| {
                            let mut digits = [0; 10];
                            digits[..9].copy_from_slice(&first);
                            digits[9] = check;
                            digits
                        })
                    });
                    let digits = number.unwrap();
                    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
                    let in_chi = NumberScheme::of(&digits) == NumberScheme::Chi;
                    let year = if yy < 69 { 2000 } else { 1900 } + i32::from(yy);
                    let is_date =
                        NaiveDate::from_ymd_opt(year, u32::from(mm), u32::from(dd)).is_some();
                    assert_eq!(
                        NhsNumber::parse(&text).is_ok(),
                        !in_chi || is_date,
                        "{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn bad_shapes_say_what_is_wrong() {
        assert_eq!(
            NhsNumber::parse("943 476 591"),
            Err(NhsNumberError::WrongLength(9))
        );
        assert_eq!(
            NhsNumber::parse("943 476 59190"),
            Err(NhsNumberError::WrongLength(11))
        );
        assert_eq!(
            NhsNumber::parse("943/476/5919"),
            Err(NhsNumberError::BadCharacter('/'))
        );
        assert_eq!(NhsNumber::parse(""), Err(NhsNumberError::WrongLength(0)));
    }

    #[test]
    fn a_remainder_of_ten_has_no_valid_number() {
        // Search a spread of prefixes for one whose weighted sum leaves remainder 1 (11 - 1 = 10).
        let nine = (0..1_000_000_000u64)
            .step_by(7919)
            .map(|n| {
                let mut d = [0u8; 9];
                let mut m = n;
                for slot in d.iter_mut().rev() {
                    *slot = u8::try_from(m % 10).unwrap_or(0);
                    m /= 10;
                }
                d
            })
            .find(|d| check_digit(d).is_none())
            .expect("some prefix has remainder 10");
        assert_eq!(NhsNumber::from_first_nine(nine), None);
    }

    proptest! {
        #[test]
        fn every_generated_number_parses_back_in_any_layout(first in proptest::array::uniform9(0u8..10), dash in any::<bool>()) {
            if let Some(n) = NhsNumber::from_first_nine(first) {
                let shown = n.to_string();
                prop_assert_eq!(shown.len(), 12);
                let typed = if dash { shown.replace(' ', "-") } else { shown.clone() };
                prop_assert_eq!(NhsNumber::parse(&typed), Ok(n));
                prop_assert_eq!(NhsNumber::parse(&n.digits()), Ok(n));
            }
        }

        #[test]
        fn changing_one_digit_of_a_valid_number_is_caught(first in proptest::array::uniform9(0u8..10), pos in 0usize..10, delta in 1u8..10) {
            if let Some(n) = NhsNumber::from_first_nine(first) {
                let mut digits: Vec<u8> = n.digits().bytes().map(|b| b - b'0').collect();
                digits[pos] = (digits[pos] + delta) % 10;
                let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
                prop_assert!(NhsNumber::parse(&text).is_err());
            }
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = NhsNumber::parse(&text);
        }
    }
}
