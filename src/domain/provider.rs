//! Sending organisations: who they are (ODS code), whether the practice has agreed an SOP with
//! them, and how far up the LMC escalation ladder the practice has gone.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Whether the practice accepts tasks from this provider under a written SOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Agreement {
    None,
    Sop { since: NaiveDate },
}

impl Agreement {
    /// An SOP counts from its start date; before that the provider is treated as having none.
    pub fn sop_in_force_on(&self, day: NaiveDate) -> bool {
        matches!(self, Agreement::Sop { since } if *since <= day)
    }
}

/// The LMC's escalation ladder for persistent senders (product.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum EscalationStage {
    None = 0,
    RemindedTeam = 1,
    ServiceLead = 2,
    IcbPrimaryCare = 3,
    Lmc = 4,
}

impl EscalationStage {
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(n: u8) -> Option<Self> {
        match n {
            0 => Some(Self::None),
            1 => Some(Self::RemindedTeam),
            2 => Some(Self::ServiceLead),
            3 => Some(Self::IcbPrimaryCare),
            4 => Some(Self::Lmc),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::RemindedTeam => "reminded the sending team",
            Self::ServiceLead => "service lead / manager",
            Self::IcbPrimaryCare => "ICB primary care team",
            Self::Lmc => "LMC",
        }
    }

    pub fn next(self) -> Option<Self> {
        Self::from_number(self.number() + 1)
    }

    pub fn previous(self) -> Option<Self> {
        self.number().checked_sub(1).and_then(Self::from_number)
    }
}

impl From<EscalationStage> for u8 {
    fn from(s: EscalationStage) -> u8 {
        s.number()
    }
}

impl TryFrom<u8> for EscalationStage {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        Self::from_number(n).ok_or_else(|| format!("escalation stage {n} is not 0-4"))
    }
}

impl fmt::Display for EscalationStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.number(), self.label())
    }
}

/// A sending organisation as the mirror knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub ods_code: String,
    pub name: String,
    pub agreement: Agreement,
    pub escalation: EscalationStage,
    /// When and by whom the stage last moved.
    pub escalation_changed: Option<(DateTime<Utc>, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_has_five_rungs_in_order() {
        let mut stage = EscalationStage::None;
        let mut seen = vec![stage.number()];
        while let Some(next) = stage.next() {
            stage = next;
            seen.push(stage.number());
        }
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        assert_eq!(EscalationStage::Lmc.next(), None);
        assert_eq!(EscalationStage::None.previous(), None);
        assert!(EscalationStage::try_from(5).is_err());
    }

    #[test]
    fn an_sop_counts_from_its_start_date() {
        let since = NaiveDate::from_ymd_opt(2026, 4, 1).expect("date");
        let sop = Agreement::Sop { since };
        assert!(!sop.sop_in_force_on(since.pred_opt().expect("date")));
        assert!(sop.sop_in_force_on(since));
        assert!(!Agreement::None.sop_in_force_on(since));
    }
}
