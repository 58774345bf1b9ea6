//! NHS numbers: parsing with the spaces and dashes people type, the Modulus 11 check digit, and
//! the 3-3-4 display that helps staff spot a wrong patient.

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
        if check_digit(&digits[..9]) != Some(digits[9]) {
            return Err(NhsNumberError::CheckDigit);
        }
        Ok(NhsNumber(digits))
    }

    /// Builds a valid number from its first nine digits, or `None` when Modulus 11 gives 10
    /// (no valid number has those nine digits). Used to make synthetic 999-range numbers.
    pub fn from_first_nine(first: [u8; 9]) -> Option<Self> {
        if first.iter().any(|d| *d > 9) {
            return None;
        }
        let check = check_digit(&first)?;
        let mut digits = [0u8; 10];
        digits[..9].copy_from_slice(&first);
        digits[9] = check;
        Some(NhsNumber(digits))
    }

    /// The ten digits without separators, as stored and exchanged.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
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
