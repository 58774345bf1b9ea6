//! What the policy rules need to know about each sender: its agreement, whether the practice
//! knows it, and how many of its tasks the practice rejected lately (the persistent-sender rule).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Result, Store};
use crate::domain::policy::ProviderFacts;

impl Store {
    /// Facts for every provider in the mirror, keyed by ODS code. Rejections are counted by when
    /// the task was last changed, which for a rejected task is when it was rejected.
    pub fn provider_facts(
        &self,
        rejected_since: DateTime<Utc>,
    ) -> Result<HashMap<String, ProviderFacts>> {
        let mut rejections: HashMap<String, u32> = HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            // The partial index holds rejections alone, by when they happened: the planner
            // would otherwise walk every rejection through the status index and its rows.
            "SELECT provider_ods, count(*) FROM tasks INDEXED BY tasks_rejected
              WHERE status = 'rejected' AND updated_at >= ?1 GROUP BY provider_ods",
        )?;
        let mut rows = stmt.query([rejected_since.timestamp()])?;
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(1)?;
            rejections.insert(r.get(0)?, u32::try_from(n).unwrap_or(u32::MAX));
        }
        Ok(self
            .providers()?
            .into_iter()
            .map(|p| {
                let facts = ProviderFacts {
                    agreement: p.agreement,
                    known: true,
                    rejections_last_30_days: rejections.get(&p.ods_code).copied().unwrap_or(0),
                };
                (p.ods_code, facts)
            })
            .collect())
    }
}
