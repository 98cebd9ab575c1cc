use serde::{Deserialize, Serialize};

/// One of Coupa's 15 writable license flags, named without the `-user` suffix
/// (`expense` is the `expense-user` flag on a user).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum License {
    Purchasing,
    Expense,
    Sourcing,
    Inventory,
    Contracts,
    Analytics,
    Aic,
    SpendGuard,
    Ccw,
    ClmAdvanced,
    RiskAssess,
    SupplyChain,
    Travel,
    Treasury,
    Invoicing,
}

impl License {
    /// Every writable license, in a fixed order.
    pub const ALL: [License; 15] = [
        License::Purchasing,
        License::Expense,
        License::Sourcing,
        License::Inventory,
        License::Contracts,
        License::Analytics,
        License::Aic,
        License::SpendGuard,
        License::Ccw,
        License::ClmAdvanced,
        License::RiskAssess,
        License::SupplyChain,
        License::Travel,
        License::Treasury,
        License::Invoicing,
    ];

    /// The key used in policy files and plans, e.g. `spend-guard`.
    pub fn key(self) -> &'static str {
        match self {
            License::Purchasing => "purchasing",
            License::Expense => "expense",
            License::Sourcing => "sourcing",
            License::Inventory => "inventory",
            License::Contracts => "contracts",
            License::Analytics => "analytics",
            License::Aic => "aic",
            License::SpendGuard => "spend-guard",
            License::Ccw => "ccw",
            License::ClmAdvanced => "clm-advanced",
            License::RiskAssess => "risk-assess",
            License::SupplyChain => "supply-chain",
            License::Travel => "travel",
            License::Treasury => "treasury",
            License::Invoicing => "invoicing",
        }
    }

    /// The boolean field on a Coupa user, e.g. `spend-guard-user`.
    pub fn wire_field(self) -> String {
        format!("{}-user", self.key())
    }

    /// Parses a policy key (`expense`); the `-user` suffix is not accepted here.
    pub fn from_key(key: &str) -> Option<License> {
        License::ALL.into_iter().find(|l| l.key() == key)
    }
}

impl std::fmt::Display for License {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_serde_agrees() {
        for l in License::ALL {
            assert_eq!(License::from_key(l.key()), Some(l));
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.key())
            );
        }
        assert_eq!(License::SpendGuard.wire_field(), "spend-guard-user");
        assert_eq!(License::from_key("expense-user"), None);
    }
}
